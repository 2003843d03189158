//! Rectification notices: milliseconds and bytes per one-page notice with two
//! photos, rendered on one core from the demo town.
//!
//! `cargo bench --bench notice` (set `GRIDSAFE_BENCH_NOTICES` to change the
//! default of 50 renders; set `GRIDSAFE_BENCH_OUT` to a path to keep one PDF).

use std::time::Instant;

use gridsafe::docs::notice::{Addressee, Finding, Heading, NoticeView, render_notice};

fn main() {
    let n: usize = std::env::var("GRIDSAFE_BENCH_NOTICES").ok().and_then(|v| v.parse().ok()).unwrap_or(50);
    let dir = tempfile::tempdir().expect("a temp dir");
    let conn = gridsafe::store::open_migrated(&dir.path().join("bench.db")).expect("a database");
    gridsafe::service::geography::load_demo(&conn).expect("the demo town loads");
    let maps = gridsafe::service::geography::load_maps(&conn).expect("maps");
    let village = maps.villages().next().expect("a village");
    let thumbs: Vec<Vec<u8>> = (0..2)
        .map(|seed| gridsafe::service::media::prepare(&gridsafe::demo::sample_photo(seed)).expect("a photo").thumbnail)
        .collect();
    let point = geo::InteriorPoint::interior_point(&village.shape).expect("a point");
    let view = NoticeView {
        addressee: Addressee {
            name: "青州市谭坊镇宏达机械加工厂".into(),
            uscc: Some("91370781MA3C5XKD2R".into()),
            address: Some(format!("青州市谭坊镇{}工业路 8 号", village.grid.name)),
            grid: format!("谭坊镇 / {}（{}）", village.grid.name, village.grid.code),
        },
        inspected_on: "2026-11-20".into(),
        inspectors: vec!["王建国".into(), "李秀英".into()],
        findings: (0..2)
            .map(|i| Finding {
                case_number: format!("TF-2026-00012{i}"),
                place: format!("{} 车间{}", village.grid.name, i + 1),
                description: "配电箱未上锁，线路私拉乱接，存在触电风险；灭火器压力不足。".into(),
                category: "用电安全".into(),
                grade: "一般".into(),
                basis: "《中华人民共和国安全生产法》第四十一条".into(),
                measures: "立即规范配电线路，配电箱加锁并张贴警示标识；更换灭火器。".into(),
                deadline: "2026-12-05".into(),
                photos: vec![thumbs[i].clone()],
                ..Finding::default()
            })
            .collect(),
        recheck_on: "2026-12-08".into(),
        grid_code: village.grid.code.to_string(),
        reaches: Vec::new(),
        points: vec![(point.x(), point.y()), (point.x() + 0.002, point.y() + 0.001)],
        corrects: None,
    };
    let heading = Heading {
        issuer: "青州市谭坊镇人民政府".into(),
        number: "谭坊整改〔2026〕0001号".into(),
        issued_on: "2026-11-28".into(),
        chain_anchor: "#1024 3f9a1c0b7e2d4a65".into(),
        qr_payload: "TF-2026-000120 http://127.0.0.1:8080/cases/TF-2026-000120".into(),
        // 2026-11-28T10:00:00+08:00.
        issued_at: 1_795_831_200,
    };
    // The first render parses the font; time it apart from the steady state.
    let started = Instant::now();
    let first = render_notice(&view, &heading, &maps).expect("renders");
    let first_ms = started.elapsed().as_secs_f64() * 1000.0;
    let mut times = Vec::with_capacity(n);
    let mut bytes = 0;
    for _ in 0..n {
        let started = Instant::now();
        bytes = render_notice(&view, &heading, &maps).expect("renders").bytes.len();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / n as f64;
    println!("notice benchmark: one-page notice, two findings with one photo each, map and QR code");
    println!("  first render (font parse included): {first_ms:>8.1} ms");
    println!("  renders:                             {n:>8}");
    println!("  mean:                                {mean:>8.1} ms");
    println!("  p50:                                 {:>8.1} ms", times[n / 2]);
    println!("  max:                                 {:>8.1} ms", times[n - 1]);
    println!("  bytes per notice:                    {bytes:>8} ({:.0} KB)", bytes as f64 / 1024.0);
    if let Ok(out) = std::env::var("GRIDSAFE_BENCH_OUT") {
        std::fs::write(&out, &first.bytes).expect("writes the sample");
        println!("  sample written to {out}");
    }
}
