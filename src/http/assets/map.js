/*
 * gridsafe — map page (网格地图).
 *
 * Plain ES2017, no build step, no framework. Needs Leaflet (global `L`) loaded first
 * and `<body data-tile-url="...">` set by the page (empty = no base tiles).
 *
 * Talks to the same-origin JSON API:
 *   GET /api/v1/grids?level=town|community|village   GeoJSON FeatureCollection
 *   GET /api/v1/rivers                                GeoJSON FeatureCollection
 *   GET /api/v1/rivers/{code}                         {code, name, length_m, geometry, reaches}
 *   GET /api/v1/locate?lon=&lat=                      {village, community, town} or {error}
 * and, signed in (endpoints in <body data-cases-url ...>):
 *   GET /api/v1/map/cases?bbox=&zoom=&kind=&status=&grade=&from=&to=
 *                                                     {mode, total, clusters, cases}
 *   GET /api/v1/map/enterprises                       [{id, name, address, lon, lat, key}]
 *   GET /api/v1/map/patrols?month=                    [{code, river_name, date, valid, line}]
 *
 * Every text that comes from data is escaped before it goes into HTML (esc()).
 */
(function () {
  'use strict';

  // ---------------------------------------------------------------------------
  // Strings
  // ---------------------------------------------------------------------------

  const I18N = {
    zh: {
      'page.title': '{town}网格地图 · gridsafe',
      'map.aria': '网格地图',
      'lang.aria': '语言',
      loading: '正在加载地图数据…',
      'layer.base': '底图',
      'layer.town': '镇',
      'layer.community': '社区',
      'layer.village': '村',
      'layer.river': '河流',
      'layer.reach': '河段',
      'level.town': '镇',
      'level.community': '社区',
      'level.village': '村',
      'legend.title': '图例',
      'legend.town': '镇界',
      'legend.community': '社区',
      'legend.village': '村（悬停显示村名）',
      'legend.river': '河流',
      'legend.reach': '河段（按村分段）',
      'legend.point': '查询点',
      'field.code': '编码',
      'field.level': '层级',
      'field.area': '面积',
      'field.chain': '隶属',
      'field.river': '河流',
      'field.reach': '河段编码',
      'field.village': '所在村',
      'field.length': '长度',
      'field.lengthInTown': '镇内长度',
      'field.reachCount': '河段数',
      'field.lonlat': '经度, 纬度',
      'info.title': '位置查询',
      'info.hint': '点击地图任意位置，查询所属村、社区和镇。',
      'info.loading': '查询中…',
      'info.failed': '查询失败：{msg}',
      close: '关闭',
      'unit.m': '米',
      'unit.km': '公里',
      'unit.km2': '平方公里',
      'what.town': '镇界',
      'what.community': '社区网格',
      'what.village': '村网格',
      'what.rivers': '河流',
      'what.reaches': '河段（{river}）',
      'what.locate': '位置查询',
      'err.load': '加载{what}失败：{msg}',
      'err.network': '网络错误，无法连接服务器',
      'err.timeout': '请求超时',
      'err.http': '服务器返回 HTTP {status}',
      'err.parse': '服务器返回的数据无法解析',
      'err.data': '数据格式有误',
      'err.leaflet': '地图库（Leaflet）未能加载，无法显示地图。',
      'err.script': '页面脚本出错：{msg}',
      'err.empty': '没有可显示的网格数据。',
      'layer.enterprise': '企业',
      'layer.cases': '未结隐患',
      'layer.track': '巡河轨迹',
      'legend.cases': '未结隐患（按状态着色）',
      'legend.overdue': '红圈：已超期',
      'legend.major': '大圆：重大隐患',
      'legend.cluster': '数字：该处隐患数',
      'legend.enterprise': '企业',
      'legend.track': '巡河轨迹（灰色虚线：不计入）',
      'status.reported': '已上报',
      'status.registered': '已立案',
      'status.dispatched': '整改中',
      'status.submitted': '待验收',
      'kind.safety': '安全生产',
      'kind.environment': '生态环境',
      'kind.river': '河湖问题',
      'grade.general': '一般隐患',
      'grade.major': '重大隐患',
      'filter.kind': '类型',
      'filter.status': '状态',
      'filter.grade': '等级',
      'filter.month': '月份',
      'filter.period': '案件范围',
      'filter.all': '全部',
      'filter.allOpen': '全部未结',
      'filter.periodAll': '全部未结案件',
      'filter.periodMonth': '所选月份上报的案件',
      'cluster.title': '{count} 条未结隐患',
      'cluster.detail': '超期 {overdue} · 重大 {major}',
      'cluster.zoom': '点击放大',
      'case.overdue': '已超期',
      'enterprise.cases': '查看该企业的隐患',
      'enterprise.key': '重点企业',
      'track.title': '巡河日志 {code}',
      'track.invalid': '不计入',
      'cases.truncated': '视野内隐患过多，只显示 {shown} / {total} 条，请放大查看。',
      'what.cases': '隐患',
      'what.enterprises': '企业',
      'what.tracks': '巡河轨迹',
      none: '—'
    },
    en: {
      'page.title': '{town} grid map · gridsafe',
      'map.aria': 'Grid map',
      'lang.aria': 'Language',
      loading: 'Loading map data…',
      'layer.base': 'Base map',
      'layer.town': 'Town',
      'layer.community': 'Communities',
      'layer.village': 'Villages',
      'layer.river': 'Rivers',
      'layer.reach': 'River reaches',
      'level.town': 'Town',
      'level.community': 'Community',
      'level.village': 'Village',
      'legend.title': 'Legend',
      'legend.town': 'Town boundary',
      'legend.community': 'Community',
      'legend.village': 'Village (hover for name)',
      'legend.river': 'River',
      'legend.reach': 'Reach (one per village)',
      'legend.point': 'Queried point',
      'field.code': 'Code',
      'field.level': 'Level',
      'field.area': 'Area',
      'field.chain': 'Hierarchy',
      'field.river': 'River',
      'field.reach': 'Reach code',
      'field.village': 'Village',
      'field.length': 'Length',
      'field.lengthInTown': 'Length in town',
      'field.reachCount': 'Reaches',
      'field.lonlat': 'Lon, lat',
      'info.title': 'Locate',
      'info.hint': 'Click anywhere on the map to find its village, community and town.',
      'info.loading': 'Locating…',
      'info.failed': 'Lookup failed: {msg}',
      close: 'Close',
      'unit.m': 'm',
      'unit.km': 'km',
      'unit.km2': 'km²',
      'what.town': 'the town boundary',
      'what.community': 'the community grids',
      'what.village': 'the village grids',
      'what.rivers': 'the rivers',
      'what.reaches': 'the reaches of {river}',
      'what.locate': 'the location lookup',
      'err.load': 'Could not load {what}: {msg}',
      'err.network': 'Network error: the server could not be reached',
      'err.timeout': 'The request timed out',
      'err.http': 'The server answered HTTP {status}',
      'err.parse': 'The server sent data that could not be read',
      'err.data': 'The data is malformed',
      'err.leaflet': 'The map library (Leaflet) did not load, so the map cannot be shown.',
      'err.script': 'Page script error: {msg}',
      'err.empty': 'There are no grids to show.',
      'layer.enterprise': 'Enterprises',
      'layer.cases': 'Open cases',
      'layer.track': 'Patrol tracks',
      'legend.cases': 'Open case (colour: state)',
      'legend.overdue': 'Red ring: overdue',
      'legend.major': 'Large: major hazard',
      'legend.cluster': 'Number: cases there',
      'legend.enterprise': 'Enterprise',
      'legend.track': 'Patrol track (grey dashes: does not count)',
      'status.reported': 'Reported',
      'status.registered': 'Registered',
      'status.dispatched': 'Being fixed',
      'status.submitted': 'Awaiting sign-off',
      'kind.safety': 'Work safety',
      'kind.environment': 'Environment',
      'kind.river': 'River',
      'grade.general': 'General hazard',
      'grade.major': 'Major hazard',
      'filter.kind': 'Kind',
      'filter.status': 'State',
      'filter.grade': 'Grade',
      'filter.month': 'Month',
      'filter.period': 'Cases',
      'filter.all': 'All',
      'filter.allOpen': 'All open',
      'filter.periodAll': 'All open cases',
      'filter.periodMonth': 'Filed in the chosen month',
      'cluster.title': '{count} open cases',
      'cluster.detail': '{overdue} overdue · {major} major',
      'cluster.zoom': 'Click to zoom in',
      'case.overdue': 'Overdue',
      'enterprise.cases': "This enterprise's cases",
      'enterprise.key': 'Key enterprise',
      'track.title': 'Patrol log {code}',
      'track.invalid': 'does not count',
      'cases.truncated': 'Too many cases in view: {shown} of {total} shown. Zoom in to see them all.',
      'what.cases': 'the cases',
      'what.enterprises': 'the enterprises',
      'what.tracks': 'the patrol tracks',
      none: '—'
    }
  };

  const LANG_KEY = 'gridsafe.lang';
  const LEVELS = ['town', 'community', 'village'];
  /** Community names are drawn permanently from this zoom on. */
  const COMMUNITY_LABEL_MIN_ZOOM = 11;
  const REQUEST_TIMEOUT_MS = 30000;
  // ColorBrewer Pastel1 (plus a few), for communities.
  const PASTELS = ['#fbb4ae', '#b3cde3', '#ccebc5', '#decbe4', '#fed9a6', '#ffffcc',
    '#e5d8bd', '#fddaec', '#cde5f0', '#e0f0c0'];
  const REACH_COLOURS = ['#08519c', '#6baed6'];

  const STYLE = {
    town: { color: '#222222', weight: 4, opacity: 0.9, fill: false },
    community: { color: '#4f6070', weight: 2, opacity: 0.9, fillOpacity: 0.45 },
    village: { color: '#7d7d7d', weight: 1, opacity: 0.85, fillColor: '#ffffff', fillOpacity: 0 },
    villageHover: { color: '#d35400', weight: 2.5, opacity: 1 },
    river: { color: '#1f6fd1', weight: 5, opacity: 0.85, lineCap: 'round', lineJoin: 'round' },
    reach: { weight: 7, opacity: 0.95, lineCap: 'butt', lineJoin: 'round' },
    reachHover: { weight: 10 }
  };

  let lang = initialLang();

  function t(key, vars) {
    const table = I18N[lang] || I18N.zh;
    let s = Object.prototype.hasOwnProperty.call(table, key) ? table[key] : (I18N.zh[key] || key);
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, function (m, name) {
        return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : m;
      });
    }
    return s;
  }

  function initialLang() {
    try {
      const q = new URLSearchParams(window.location.search).get('lang');
      if (q) {
        const l = normaliseLang(q);
        if (l) return l;
      }
    } catch (e) { /* old browser: ignore */ }
    try {
      const stored = normaliseLang(window.localStorage.getItem(LANG_KEY));
      if (stored) return stored;
    } catch (e) { /* storage blocked: ignore */ }
    // The server's choice (the gridsafe_lang cookie), as <html lang>.
    return normaliseLang(document.documentElement.lang) || 'zh';
  }

  function normaliseLang(v) {
    if (!v) return null;
    const s = String(v).toLowerCase();
    if (s === 'en' || s.indexOf('en-') === 0) return 'en';
    if (s === 'zh' || s.indexOf('zh-') === 0 || s === 'cn') return 'zh';
    return null;
  }

  // ---------------------------------------------------------------------------
  // Small helpers
  // ---------------------------------------------------------------------------

  const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

  /** Escapes any value for use in HTML text or a quoted attribute. */
  function esc(v) {
    return String(v === null || v === undefined ? '' : v).replace(/[&<>"']/g, function (c) {
      return ESC[c];
    });
  }

  function isNum(v) {
    return typeof v === 'number' && isFinite(v);
  }

  function locale() {
    return lang === 'en' ? 'en' : 'zh-CN';
  }

  function fmtNum(v, digits) {
    try {
      return v.toLocaleString(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits });
    } catch (e) {
      return v.toFixed(digits);
    }
  }

  function fmtLength(m) {
    if (!isNum(m)) return t('none');
    if (Math.abs(m) < 1000) return fmtNum(Math.round(m), 0) + ' ' + t('unit.m');
    return fmtNum(m / 1000, 2) + ' ' + t('unit.km');
  }

  function fmtArea(km2) {
    if (!isNum(km2)) return t('none');
    const digits = km2 >= 100 ? 1 : (km2 >= 0.1 ? 2 : 3);
    return fmtNum(km2, digits) + ' ' + t('unit.km2');
  }

  function levelName(level) {
    return LEVELS.indexOf(level) >= 0 ? t('level.' + level) : String(level || t('none'));
  }

  function codeHtml(code) {
    return code === null || code === undefined || code === '' ? '' :
      ' <code class="gs-code">' + esc(code) + '</code>';
  }

  function featuresOf(fc) {
    if (!fc || typeof fc !== 'object') return null;
    if (fc.type === 'FeatureCollection' && Array.isArray(fc.features)) return fc.features;
    if (fc.type === 'Feature') return [fc];
    return null;
  }

  function propsOf(feature) {
    return (feature && feature.properties && typeof feature.properties === 'object') ?
      feature.properties : {};
  }

  function sortByCode(features) {
    return features.slice().sort(function (a, b) {
      const x = String(propsOf(a).code || '');
      const y = String(propsOf(b).code || '');
      return x < y ? -1 : (x > y ? 1 : 0);
    });
  }

  function bboxOfGeometry(geom) {
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    (function walk(c) {
      if (!Array.isArray(c)) return;
      if (typeof c[0] === 'number') {
        if (isNum(c[0]) && isNum(c[1])) {
          box[0] = Math.min(box[0], c[0]); box[1] = Math.min(box[1], c[1]);
          box[2] = Math.max(box[2], c[0]); box[3] = Math.max(box[3], c[1]);
        }
        return;
      }
      for (let i = 0; i < c.length; i++) walk(c[i]);
    })(geom && geom.coordinates);
    return box[0] <= box[2] ? box : null;
  }

  // ---------------------------------------------------------------------------
  // API access
  // ---------------------------------------------------------------------------

  /** An API failure; `message` is filled lazily in the current language by errorText(). */
  class ApiError extends Error {
    constructor(info) {
      super(info.kind + (info.status ? ' ' + info.status : ''));
      this.name = 'ApiError';
      this.kind = info.kind; // network | timeout | http | parse
      this.status = info.status || 0;
      this.body = info.body;
      this.cause = info.cause;
    }

    /** The `{error: {code, message, details}}` object, if the server sent one. */
    get apiError() {
      const b = this.body;
      return b && typeof b === 'object' && b.error && typeof b.error === 'object' ? b.error : null;
    }
  }

  /** The server's message in the current language: `message` is Chinese, `message_en` English. */
  function pickMessage(api) {
    if (lang === 'en' && typeof api.message_en === 'string' && api.message_en) return api.message_en;
    if (typeof api.message === 'string' && api.message) return api.message;
    return null;
  }

  /** Turns anything thrown into a readable sentence in the current language. */
  function errorText(err) {
    if (err instanceof ApiError) {
      const api = err.apiError;
      if (api) {
        const msg = pickMessage(api);
        if (msg) return msg;
        if (api.code) return String(api.code) + ' (HTTP ' + err.status + ')';
      }
      if (err.kind === 'network') return t('err.network');
      if (err.kind === 'timeout') return t('err.timeout');
      if (err.kind === 'parse') return t('err.parse');
      return t('err.http', { status: err.status });
    }
    if (err && err.message) return String(err.message);
    return String(err);
  }

  async function apiGet(path) {
    const ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    let timedOut = false;
    const timer = ctrl ? setTimeout(function () { timedOut = true; ctrl.abort(); }, REQUEST_TIMEOUT_MS) : null;
    try {
      let resp;
      try {
        resp = await fetch(path, {
          headers: { Accept: 'application/json' },
          credentials: 'same-origin',
          signal: ctrl ? ctrl.signal : undefined
        });
      } catch (e) {
        throw new ApiError({ kind: timedOut ? 'timeout' : 'network', cause: e });
      }
      let text = '';
      try {
        text = await resp.text();
      } catch (e) {
        throw new ApiError({ kind: timedOut ? 'timeout' : 'network', status: resp.status, cause: e });
      }
      let body;
      let parsed = false;
      if (text) {
        try { body = JSON.parse(text); parsed = true; } catch (e) { parsed = false; }
      }
      if (!resp.ok) throw new ApiError({ kind: 'http', status: resp.status, body: parsed ? body : undefined });
      if (!parsed) throw new ApiError({ kind: 'parse', status: resp.status });
      return body;
    } finally {
      if (timer) clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------------------
  // Banners (visible errors)
  // ---------------------------------------------------------------------------

  const banners = []; // {id, render: () => string, el}
  let bannerSeq = 0;

  function showBanner(render) {
    const box = document.getElementById('gs-banners');
    if (!box) return;
    const text = safeRender(render);
    for (let i = 0; i < banners.length; i++) {
      if (safeRender(banners[i].render) === text) return; // already shown
    }
    const el = document.createElement('div');
    el.className = 'gs-banner';
    const span = document.createElement('span');
    span.className = 'gs-banner-text';
    span.textContent = text;
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = 'gs-banner-close';
    btn.textContent = '×';
    btn.setAttribute('aria-label', t('close'));
    btn.title = t('close');
    const entry = { id: ++bannerSeq, render: render, el: el };
    btn.addEventListener('click', function () {
      const i = banners.indexOf(entry);
      if (i >= 0) banners.splice(i, 1);
      if (el.parentNode) el.parentNode.removeChild(el);
    });
    el.appendChild(span);
    el.appendChild(btn);
    box.appendChild(el);
    banners.push(entry);
  }

  function safeRender(render) {
    try { return render(); } catch (e) { return String(e); }
  }

  function rerenderBanners() {
    banners.forEach(function (b) {
      const span = b.el.querySelector('.gs-banner-text');
      if (span) span.textContent = safeRender(b.render);
      const btn = b.el.querySelector('.gs-banner-close');
      if (btn) { btn.setAttribute('aria-label', t('close')); btn.title = t('close'); }
    });
  }

  function loadFailed(whatKey, vars, err) {
    console.error('gridsafe:', whatKey, err);
    showBanner(function () {
      return t('err.load', { what: t(whatKey, vars), msg: errorText(err) });
    });
  }

  // ---------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------

  const state = {
    map: null,
    layers: {},          // base?, town, community, village, river, reach (L.Layer)
    counts: {},          // feature counts per layer key
    layersControl: null,
    legendEl: null,
    infoEl: null,
    infoVisible: true,
    marker: null,
    openPopup: null,
    rivers: null,        // Promise<Array<Feature>>
    reachesStarted: false,
    locateSeq: 0,
    lastLocate: null,    // {lon, lat, status: loading|ok|error, data?, err?}
    work: null,          // the signed-in layers' endpoints and requests (startWork)
    townName: null,      // from the data, once loaded
    defaultTown: null    // what the static page says until then
  };

  // ---------------------------------------------------------------------------
  // Static page texts, title, language switch
  // ---------------------------------------------------------------------------

  function defaultTownName() {
    const el = document.getElementById('gs-town-name');
    if (!state.defaultTown) state.defaultTown = el ? el.textContent : '';
    return state.defaultTown;
  }

  function applyPageTexts() {
    document.documentElement.lang = lang === 'en' ? 'en' : 'zh-CN';
    const town = state.townName || defaultTownName();
    document.title = t('page.title', { town: town });
    const townEl = document.getElementById('gs-town-name');
    if (townEl) townEl.textContent = town;
    document.querySelectorAll('[data-i18n]').forEach(function (el) {
      el.textContent = t(el.getAttribute('data-i18n'));
    });
    const mapEl = document.getElementById('map');
    if (mapEl) mapEl.setAttribute('aria-label', t('map.aria'));
    const nav = document.querySelector('.gs-lang');
    if (nav) nav.setAttribute('aria-label', t('lang.aria'));
    document.querySelectorAll('.gs-lang-btn').forEach(function (b) {
      const on = b.getAttribute('data-lang') === lang;
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
      b.classList.toggle('gs-active', on);
    });
  }

  function setLang(l) {
    const next = normaliseLang(l) || 'zh';
    if (next === lang) return;
    lang = next;
    try { window.localStorage.setItem(LANG_KEY, lang); } catch (e) { /* ignore */ }
    try {
      const url = new URL(window.location.href);
      if (url.searchParams.has('lang')) {
        url.searchParams.set('lang', lang);
        window.history.replaceState(null, '', url.toString());
      }
    } catch (e) { /* ignore */ }
    applyPageTexts();
    rerenderBanners();
    if (state.map) {
      buildLayersControl();
      renderLegend();
      renderInfo();
      if (state.openPopup && state.openPopup.isOpen && state.openPopup.isOpen()) {
        state.openPopup.update();
      }
    }
  }

  function wireLangSwitch() {
    document.querySelectorAll('.gs-lang-btn').forEach(function (b) {
      b.addEventListener('click', function () { setLang(b.getAttribute('data-lang')); });
    });
  }

  // ---------------------------------------------------------------------------
  // Popups
  // ---------------------------------------------------------------------------

  function row(label, valueHtml) {
    return '<tr><th scope="row">' + esc(label) + '</th><td>' + valueHtml + '</td></tr>';
  }

  function chainOf(p) {
    let chain = p.chain;
    if (typeof chain === 'string') {
      try { chain = JSON.parse(chain); } catch (e) { chain = null; }
    }
    if (!Array.isArray(chain) || chain.length === 0) {
      chain = [{ code: p.code, name: p.name, level: p.level }];
    }
    return chain;
  }

  function chainHtml(chain) {
    return chain.map(function (c) {
      c = c || {};
      return '<span class="gs-chain-item" title="' + esc(levelName(c.level)) + '">' +
        esc(c.name || t('none')) + codeHtml(c.code) + '</span>';
    }).join('<span class="gs-chain-sep" aria-hidden="true"> › </span>');
  }

  function gridPopup(feature) {
    const p = propsOf(feature);
    return '<div class="gs-popup">' +
      '<h3 class="gs-popup-title">' + esc(p.name || t('none')) +
      ' <span class="gs-badge gs-badge-' + esc(p.level) + '">' + esc(levelName(p.level)) + '</span></h3>' +
      '<table class="gs-props">' +
      row(t('field.code'), codeHtml(p.code)) +
      row(t('field.level'), esc(levelName(p.level))) +
      row(t('field.area'), esc(fmtArea(p.area_km2))) +
      '</table>' +
      '<div class="gs-chain-label">' + esc(t('field.chain')) + '</div>' +
      '<div class="gs-chain">' + chainHtml(chainOf(p)) + '</div>' +
      '</div>';
  }

  function riverPopup(feature) {
    const p = propsOf(feature);
    return '<div class="gs-popup">' +
      '<h3 class="gs-popup-title">' + esc(p.name || t('none')) + '</h3>' +
      '<table class="gs-props">' +
      row(t('field.code'), codeHtml(p.code)) +
      row(t('field.lengthInTown'), esc(fmtLength(p.length_m))) +
      (p.reach_count !== undefined && p.reach_count !== null ?
        row(t('field.reachCount'), esc(p.reach_count)) : '') +
      '</table></div>';
  }

  function reachPopup(feature, river) {
    const p = propsOf(feature);
    const riverName = (river && river.name) || p.river_name || t('none');
    const riverCode = p.river_code || (river && river.code);
    return '<div class="gs-popup">' +
      '<h3 class="gs-popup-title">' + esc(riverName) +
      ' <span class="gs-badge gs-badge-reach">' + esc(t('layer.reach')) + '</span></h3>' +
      '<table class="gs-props">' +
      row(t('field.river'), esc(riverName) + codeHtml(riverCode)) +
      row(t('field.reach'), codeHtml(p.code)) +
      row(t('field.village'), esc(p.grid_name || t('none')) + codeHtml(p.grid_code)) +
      row(t('field.length'), esc(fmtLength(p.length_m))) +
      '</table></div>';
  }

  // ---------------------------------------------------------------------------
  // Layers
  // ---------------------------------------------------------------------------

  function createPanes(map) {
    // Villages above communities so a click inside a village hits the village;
    // the town outline (no fill) above both; rivers and reaches on top.
    [['gs-community', 410], ['gs-village', 420], ['gs-town', 430], ['gs-river', 440],
      ['gs-reach', 450], ['gs-track', 452], ['gs-case', 456], ['gs-point', 460]].forEach(function (pz) {
      const pane = map.createPane(pz[0]);
      pane.style.zIndex = String(pz[1]);
    });
    map.getPane('gs-point').style.pointerEvents = 'none';
  }

  /**
   * A click on a drawn feature reaches the feature, not the map, so feature layers
   * forward it to the locate lookup themselves (the popup opens as well).
   */
  function locateOnClick(layer) {
    layer.on('click', function (e) {
      if (e && e.latlng) locateAt(e.latlng);
    });
  }

  /** Gives neighbouring communities (touching bounding boxes) different pastel colours. */
  function communityColours(features) {
    const items = sortByCode(features).map(function (f) {
      return { code: propsOf(f).code, box: bboxOfGeometry(f.geometry) };
    });
    const colours = {};
    const eps = 1e-6;
    items.forEach(function (it, i) {
      const used = {};
      for (let j = 0; j < i; j++) {
        const o = items[j];
        if (it.box && o.box &&
          it.box[0] <= o.box[2] + eps && o.box[0] <= it.box[2] + eps &&
          it.box[1] <= o.box[3] + eps && o.box[1] <= it.box[3] + eps) {
          used[colours[o.code]] = true;
        }
      }
      let pick = null;
      for (let k = 0; k < PASTELS.length; k++) {
        const c = PASTELS[(i + k) % PASTELS.length];
        if (!used[c]) { pick = c; break; }
      }
      colours[it.code] = pick || PASTELS[i % PASTELS.length];
    });
    return colours;
  }

  function gridLayer(level, fc) {
    const features = featuresOf(fc);
    if (!features) throw new Error(t('err.data'));
    const colours = level === 'community' ? communityColours(features) : null;
    const layer = L.geoJSON(null, {
      pane: 'gs-' + level,
      filter: function (f) { return !!(f && f.geometry); },
      style: function (f) {
        const s = Object.assign({}, STYLE[level]);
        if (colours) s.fillColor = colours[propsOf(f).code] || PASTELS[0];
        return s;
      },
      onEachFeature: function (f, l) {
        l.bindPopup(function () { return gridPopup(f); }, { maxWidth: 320, autoPanPadding: [12, 12] });
        const name = propsOf(f).name;
        if (level === 'community' && name) {
          l.bindTooltip(esc(name), {
            permanent: true, direction: 'center', className: 'gs-label gs-label-community',
            interactive: false, opacity: 1
          });
        } else if (level === 'village' && name) {
          l.bindTooltip(esc(name), { sticky: true, direction: 'top', className: 'gs-hover-label', opacity: 0.95 });
          l.on('mouseover', function () { l.setStyle(STYLE.villageHover); });
          l.on('mouseout popupclose', function () { layer.resetStyle(l); });
        }
      }
    });
    layer.addData(sortByCode(features));
    locateOnClick(layer);
    state.counts[level] = layer.getLayers().length;
    return layer;
  }

  function riverLayer(fc) {
    const features = featuresOf(fc);
    if (!features) throw new Error(t('err.data'));
    const layer = L.geoJSON(null, {
      pane: 'gs-river',
      filter: function (f) { return !!(f && f.geometry); },
      style: function () { return Object.assign({}, STYLE.river); },
      onEachFeature: function (f, l) {
        l.bindPopup(function () { return riverPopup(f); }, { maxWidth: 320 });
        const name = propsOf(f).name;
        if (name) l.bindTooltip(esc(name), { sticky: true, direction: 'top', className: 'gs-hover-label gs-hover-river' });
      }
    });
    layer.addData(features);
    locateOnClick(layer);
    state.counts.river = layer.getLayers().length;
    return { layer: layer, features: features };
  }

  /** End points of every line of a (Multi)LineString, as string keys. */
  function endKeys(geom) {
    const keys = [];
    if (!geom) return keys;
    const lines = geom.type === 'LineString' ? [geom.coordinates] :
      (geom.type === 'MultiLineString' ? geom.coordinates : []);
    (lines || []).forEach(function (line) {
      if (!Array.isArray(line) || line.length < 2) return;
      [line[0], line[line.length - 1]].forEach(function (c) {
        if (Array.isArray(c) && isNum(c[0]) && isNum(c[1])) keys.push(c[0].toFixed(6) + ',' + c[1].toFixed(6));
      });
    });
    return keys;
  }

  /**
   * Two-colours the reaches of one river so that reaches meeting at an end point differ
   * (a river network is a tree, so this works); unconnected runs alternate in file order.
   */
  function reachColourIndex(features) {
    const keys = features.map(function (f) { return endKeys(f.geometry); });
    const byKey = {};
    keys.forEach(function (ks, i) {
      ks.forEach(function (k) { (byKey[k] = byKey[k] || []).push(i); });
    });
    const colour = new Array(features.length).fill(-1);
    let start = 0;
    for (let i = 0; i < features.length; i++) {
      if (colour[i] >= 0) continue;
      colour[i] = start;
      start = 1 - start;
      const queue = [i];
      while (queue.length) {
        const a = queue.shift();
        keys[a].forEach(function (k) {
          byKey[k].forEach(function (b) {
            if (colour[b] < 0) { colour[b] = 1 - colour[a]; queue.push(b); }
          });
        });
      }
    }
    return colour;
  }

  function addReaches(river) {
    const features = featuresOf(river && river.reaches);
    if (!features) throw new Error(t('err.data'));
    const drawn = features.filter(function (f) { return f && f.geometry; });
    const colours = reachColourIndex(drawn);
    const layer = L.geoJSON(null, {
      pane: 'gs-reach',
      style: function (f) {
        const s = Object.assign({}, STYLE.reach);
        s.color = REACH_COLOURS[colours[drawn.indexOf(f)] === 1 ? 1 : 0];
        return s;
      },
      onEachFeature: function (f, l) {
        l.bindPopup(function () { return reachPopup(f, river); }, { maxWidth: 320 });
        const p = propsOf(f);
        const label = (river.name || '') + (p.grid_name ? ' · ' + p.grid_name : '');
        if (label) l.bindTooltip(esc(label), { sticky: true, direction: 'top', className: 'gs-hover-label' });
        l.on('mouseover', function () { l.setStyle(STYLE.reachHover); });
        l.on('mouseout popupclose', function () { layer.resetStyle(l); });
      }
    });
    layer.addData(drawn);
    locateOnClick(layer);
    state.layers.reach.addLayer(layer);
    state.counts.reach = (state.counts.reach || 0) + drawn.length;
  }

  /** Loads the reaches of every river, the first time the reach layer is switched on. */
  async function ensureReaches() {
    if (state.reachesStarted) return;
    state.reachesStarted = true;
    const rivers = await state.rivers;
    await Promise.all(rivers.map(async function (f) {
      const p = propsOf(f);
      if (p.code === undefined || p.code === null) return;
      try {
        const detail = await apiGet('/api/v1/rivers/' + encodeURIComponent(String(p.code)));
        if (!detail.name) detail.name = p.name;
        addReaches(detail);
      } catch (err) {
        loadFailed('what.reaches', { river: p.name || p.code }, err);
      }
    }));
    buildLayersControl();
  }

  // ---------------------------------------------------------------------------
  // Controls: layers, legend, info panel
  // ---------------------------------------------------------------------------

  function layerLabel(key) {
    const n = state.counts[key];
    return '<span class="gs-sw gs-sw-' + key + '" aria-hidden="true"></span>' + esc(t('layer.' + key)) +
      (isNum(n) && key !== 'town' && key !== 'base' ? ' <span class="gs-count">(' + esc(n) + ')</span>' : '');
  }

  function buildLayersControl() {
    const map = state.map;
    if (!map) return;
    let collapsed = window.innerWidth < 700;
    if (state.layersControl) {
      // Keep an expanded control expanded across a rebuild.
      const c = state.layersControl.getContainer && state.layersControl.getContainer();
      if (c) collapsed = !c.classList.contains('leaflet-control-layers-expanded') && collapsed;
      state.layersControl.remove();
    }
    const overlays = {};
    ['base', 'town', 'community', 'village', 'river', 'reach', 'enterprise', 'track', 'cases'].forEach(function (key) {
      if (state.layers[key]) overlays[layerLabel(key)] = state.layers[key];
    });
    state.layersControl = L.control.layers(null, overlays, { collapsed: collapsed, position: 'topright' }).addTo(map);
  }

  function renderLegend() {
    const el = state.legendEl;
    if (!el) return;
    const details = el.querySelector('details');
    const open = details ? details.open : window.innerWidth >= 600;
    const item = function (cls, key) {
      return '<li><span class="gs-sw gs-sw-' + cls + '" aria-hidden="true"></span>' + esc(t(key)) + '</li>';
    };
    el.innerHTML = '<details' + (open ? ' open' : '') + '><summary>' + esc(t('legend.title')) + '</summary><ul>' +
      item('town', 'legend.town') + item('community', 'legend.community') + item('village', 'legend.village') +
      item('river', 'legend.river') + item('reach', 'legend.reach') + item('point', 'legend.point') +
      (state.work ? workLegend(item) : '') +
      '</ul></details>';
  }

  function workLegend(item) {
    return Object.keys(STATE_COLOURS).map(function (st) { return item('case-' + st, 'status.' + st); }).join('') +
      item('overdue', 'legend.overdue') + item('major', 'legend.major') + item('cluster', 'legend.cluster') +
      item('enterprise', 'legend.enterprise') + item('track', 'legend.track');
  }

  function fmtCoord(v) {
    return isNum(v) ? v.toFixed(6) : t('none');
  }

  function renderInfo() {
    const el = state.infoEl;
    if (!el) return;
    el.style.display = state.infoVisible ? '' : 'none';
    const s = state.lastLocate;
    let body;
    if (!s) {
      body = '<p class="gs-info-hint">' + esc(t('info.hint')) + '</p>';
    } else {
      body = '<div class="gs-info-coord"><span class="gs-info-label">' + esc(t('field.lonlat')) + '</span> ' +
        '<span class="gs-mono">' + esc(fmtCoord(s.lon)) + ', ' + esc(fmtCoord(s.lat)) + '</span></div>';
      if (s.status === 'loading') {
        body += '<p class="gs-info-status">' + esc(t('info.loading')) + '</p>';
      } else if (s.status === 'error') {
        const api = s.err instanceof ApiError && s.err.apiError;
        body += '<p class="gs-info-error">' +
          esc(api ? errorText(s.err) : t('info.failed', { msg: errorText(s.err) })) + '</p>';
      } else {
        const d = s.data || {};
        body += '<table class="gs-props">' + LEVELS.map(function (level) {
          const g = d[level];
          if (!g || typeof g !== 'object') return '';
          return row(levelName(level), esc(g.name || t('none')) + codeHtml(g.code));
        }).join('') + '</table>';
      }
    }
    el.innerHTML = '<div class="gs-info-head"><strong>' + esc(t('info.title')) + '</strong>' +
      '<button type="button" class="gs-info-close" aria-label="' + esc(t('close')) + '" title="' +
      esc(t('close')) + '">×</button></div>' + body;
    const btn = el.querySelector('.gs-info-close');
    if (btn) {
      btn.addEventListener('click', function () {
        state.infoVisible = false;
        state.lastLocate = null;
        state.locateSeq++;
        if (state.marker) state.marker.remove();
        renderInfo();
      });
    }
  }

  function addControls(map) {
    const Legend = L.Control.extend({
      options: { position: 'bottomright' },
      onAdd: function () {
        const div = L.DomUtil.create('div', 'gs-legend leaflet-bar');
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      }
    });
    const legend = new Legend();
    legend.addTo(map);
    state.legendEl = legend.getContainer();
    renderLegend();

    const Info = L.Control.extend({
      options: { position: 'bottomleft' },
      onAdd: function () {
        const div = L.DomUtil.create('div', 'gs-info leaflet-bar');
        div.setAttribute('aria-live', 'polite');
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      }
    });
    const info = new Info();
    info.addTo(map);
    state.infoEl = info.getContainer();
    renderInfo();

    L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
  }

  // ---------------------------------------------------------------------------
  // Locate on click
  // ---------------------------------------------------------------------------

  async function locateAt(latlng) {
    const ll = latlng.wrap();
    const lon = ll.lng;
    const lat = ll.lat;
    const seq = ++state.locateSeq;
    state.infoVisible = true;
    state.lastLocate = { lon: lon, lat: lat, status: 'loading' };
    if (!state.marker) {
      state.marker = L.circleMarker(ll, {
        pane: 'gs-point', radius: 6, color: '#c0392b', weight: 3, fillColor: '#ffffff',
        fillOpacity: 1, interactive: false
      });
    }
    state.marker.setLatLng(latlng).addTo(state.map);
    renderInfo();
    try {
      const data = await apiGet('/api/v1/locate?lon=' + encodeURIComponent(lon.toFixed(6)) +
        '&lat=' + encodeURIComponent(lat.toFixed(6)));
      if (seq !== state.locateSeq) return;
      state.lastLocate = { lon: lon, lat: lat, status: 'ok', data: data };
    } catch (err) {
      if (seq !== state.locateSeq) return;
      state.lastLocate = { lon: lon, lat: lat, status: 'error', err: err };
      // A 4xx with our error JSON (e.g. outside the town) is an answer, not a failure.
      const expected = err instanceof ApiError && err.apiError && err.status >= 400 && err.status < 500;
      if (!expected) loadFailed('what.locate', null, err);
    }
    renderInfo();
  }

  // ---------------------------------------------------------------------------
  // Signed-in layers: enterprises, open cases (aggregated by the server), tracks
  // ---------------------------------------------------------------------------

  /** Fill colour per open state, in the order of the loop. */
  const STATE_COLOURS = {
    reported: '#7b3294', registered: '#e66101', dispatched: '#2c7bb6', submitted: '#1a9641'
  };
  const OVERDUE_RING = '#e31a1c';
  /** Wait this long after the map stops moving before asking for the cases in view. */
  const CASE_REFRESH_MS = 200;

  /** The endpoints the page put in `<body data-*>`; null for a public visitor. */
  function workConfig() {
    const d = document.body.dataset;
    if (!d.casesUrl) return null;
    return {
      cases: d.casesUrl, enterprises: d.enterprisesUrl, patrols: d.patrolsUrl,
      casePage: d.casePage || '/cases/', patrolPage: d.patrolPage || '/patrols/',
      enterpriseCases: d.enterpriseCases || '/cases?enterprise=', month: d.month || ''
    };
  }

  function filterValues() {
    const form = document.getElementById('gs-filters');
    const v = {};
    if (!form) return v;
    ['kind', 'status', 'grade', 'month', 'period'].forEach(function (name) {
      const el = form.elements[name];
      if (el && el.value) v[name] = String(el.value);
    });
    return v;
  }

  function lastDayOfMonth(month) {
    const y = Number(month.slice(0, 4));
    const m = Number(month.slice(5, 7));
    const d = new Date(Date.UTC(y, m, 0)).getUTCDate();
    return month + '-' + (d < 10 ? '0' : '') + d;
  }

  function casesQuery(map) {
    const b = map.getBounds().pad(0.15);
    const clamp = function (v, lim) { return Math.max(-lim, Math.min(lim, v)); };
    const bbox = [clamp(b.getWest(), 180), clamp(b.getSouth(), 90), clamp(b.getEast(), 180), clamp(b.getNorth(), 90)]
      .map(function (x) { return x.toFixed(5); }).join(',');
    const f = filterValues();
    const q = ['bbox=' + encodeURIComponent(bbox), 'zoom=' + Math.max(0, Math.floor(map.getZoom()))];
    ['kind', 'status', 'grade'].forEach(function (k) { if (f[k]) q.push(k + '=' + encodeURIComponent(f[k])); });
    if (f.period === 'month' && /^\d{4}-\d{2}$/.test(f.month || '')) {
      q.push('from=' + f.month + '-01', 'to=' + lastDayOfMonth(f.month));
    }
    return q.join('&');
  }

  function go(url) {
    window.location.assign(url);
  }

  function caseMarker(c, work) {
    const major = c.grade === 'major';
    const m = L.circleMarker([c.lat, c.lon], {
      renderer: state.work.renderer,
      radius: major ? 9 : 6,
      color: c.overdue ? OVERDUE_RING : '#ffffff',
      weight: c.overdue ? 3 : 1.5,
      opacity: 1,
      fillColor: STATE_COLOURS[c.status] || '#555555',
      fillOpacity: 0.9,
      bubblingMouseEvents: false
    });
    m.bindTooltip(function () {
      return '<strong>' + esc(c.number) + '</strong> ' + esc(t('status.' + c.status)) +
        (c.overdue ? ' · <span class="gs-overdue">' + esc(t('case.overdue')) + '</span>' : '') +
        (major ? ' · ' + esc(t('grade.major')) : '') + '<br>' + esc(c.title);
    }, { direction: 'top', className: 'gs-hover-label' });
    m.on('click', function () { go(work.casePage + encodeURIComponent(c.number)); });
    return m;
  }

  function clusterMarker(k) {
    const size = k.count < 10 ? 30 : (k.count < 100 ? 36 : (k.count < 1000 ? 44 : 52));
    const cls = 'gs-cluster gs-cluster-' + (STATE_COLOURS[k.worst] ? k.worst : 'reported') +
      (k.overdue > 0 ? ' gs-cluster-overdue' : '') + (k.major > 0 ? ' gs-cluster-major' : '');
    const label = k.count >= 10000 ? Math.round(k.count / 1000) + 'k' : String(k.count);
    const m = L.marker([k.lat, k.lon], {
      icon: L.divIcon({ className: cls, html: '<span>' + esc(label) + '</span>', iconSize: [size, size] }),
      keyboard: true,
      bubblingMouseEvents: false
    });
    m.bindTooltip(function () {
      return '<strong>' + esc(t('cluster.title', { count: k.count })) + '</strong><br>' +
        esc(t('cluster.detail', { overdue: k.overdue, major: k.major })) + '<br>' + esc(t('cluster.zoom'));
    }, { direction: 'top', className: 'gs-hover-label' });
    m.on('click', function () {
      const b = L.latLngBounds([k.bbox[1], k.bbox[0]], [k.bbox[3], k.bbox[2]]);
      const map = state.map;
      const target = map.getBoundsZoom(b.pad(0.1));
      if (target > map.getZoom() + 0.5) map.fitBounds(b.pad(0.1));
      else map.setView([k.lat, k.lon], Math.min(map.getMaxZoom(), map.getZoom() + 2));
    });
    return m;
  }

  /** Asks for the open cases in view and redraws them; a newer request wins. */
  async function refreshCases() {
    const work = state.work;
    const map = state.map;
    if (!work || !map.hasLayer(state.layers.cases)) return;
    const seq = ++work.casesSeq;
    const started = performance.now();
    const query = casesQuery(map);
    let data;
    try {
      data = await apiGet(work.cases + '?' + query);
    } catch (err) {
      if (seq === work.casesSeq) loadFailed('what.cases', null, err);
      return;
    }
    if (seq !== work.casesSeq) return;
    const fetched = performance.now();
    const group = state.layers.cases;
    group.clearLayers();
    (data.clusters || []).forEach(function (k) { group.addLayer(clusterMarker(k)); });
    (data.cases || []).forEach(function (c) { group.addLayer(caseMarker(c, work)); });
    const changed = state.counts.cases !== data.total;
    state.counts.cases = data.total;
    // Measured figures for the README (see "In the browser"): wait, draw, both.
    const el = map.getContainer();
    el.dataset.casesQuery = query;
    el.dataset.casesMode = data.mode;
    el.dataset.casesZoom = String(data.zoom);
    el.dataset.casesTotal = String(data.total);
    el.dataset.casesFeatures = String((data.clusters || []).length + (data.cases || []).length);
    el.dataset.casesFetchMs = (fetched - started).toFixed(1);
    // Leaflet paints on the next animation frame: count until the one after it.
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        el.dataset.casesDrawMs = (performance.now() - fetched).toFixed(1);
        el.dataset.casesAtMs = performance.now().toFixed(0);
        el.dataset.casesSeq = String(seq);
      });
    });
    if (data.truncated) {
      showBanner(function () { return t('cases.truncated', { shown: (data.cases || []).length, total: data.total }); });
    }
    if (changed) buildLayersControl();
  }

  function scheduleCases() {
    const work = state.work;
    if (!work) return;
    clearTimeout(work.timer);
    work.timer = setTimeout(function () { refreshCases(); }, CASE_REFRESH_MS);
  }

  function enterprisePopup(e, work) {
    return '<div class="gs-popup"><h3 class="gs-popup-title">' + esc(e.name) +
      (e.key ? ' <span class="gs-badge">' + esc(t('enterprise.key')) + '</span>' : '') + '</h3>' +
      (e.address ? '<p class="gs-popup-line">' + esc(e.address) + '</p>' : '') +
      '<p class="gs-popup-line"><a href="' + esc(work.enterpriseCases + encodeURIComponent(String(e.id))) + '">' +
      esc(t('enterprise.cases')) + '</a></p></div>';
  }

  async function loadEnterprises() {
    const work = state.work;
    try {
      const list = await apiGet(work.enterprises);
      const group = state.layers.enterprise;
      group.clearLayers();
      (Array.isArray(list) ? list : []).forEach(function (e) {
        const m = L.circleMarker([e.lat, e.lon], {
          renderer: work.renderer, radius: 5, color: '#ffffff', weight: 1.5,
          fillColor: e.key ? '#111111' : '#555555', fillOpacity: 1, bubblingMouseEvents: false
        });
        m.bindPopup(function () { return enterprisePopup(e, work); }, { maxWidth: 300 });
        m.bindTooltip(esc(e.name), { direction: 'top', className: 'gs-hover-label' });
        group.addLayer(m);
      });
      state.counts.enterprise = group.getLayers().length;
      state.map.getContainer().dataset.enterprises = String(state.counts.enterprise);
    } catch (err) {
      loadFailed('what.enterprises', null, err);
    }
  }

  async function loadTracks() {
    const work = state.work;
    const month = filterValues().month || work.month;
    const seq = ++work.tracksSeq;
    try {
      const list = await apiGet(work.patrols + '?month=' + encodeURIComponent(month));
      if (seq !== work.tracksSeq) return;
      const group = state.layers.track;
      group.clearLayers();
      (Array.isArray(list) ? list : []).forEach(function (p) {
        if (!Array.isArray(p.line) || p.line.length < 2) return;
        const line = L.polyline(p.line.map(function (c) { return [c[1], c[0]]; }), {
          pane: 'gs-track', color: p.valid ? '#d35400' : '#7f8c8d', weight: 3, opacity: 0.85,
          dashArray: p.valid ? null : '6 6', bubblingMouseEvents: false
        });
        line.bindTooltip(function () {
          return '<strong>' + esc(t('track.title', { code: p.code })) + '</strong><br>' + esc(p.river_name) + ' · ' +
            esc(p.date) + ' · ' + esc(fmtLength(p.distance_m)) + (p.valid ? '' : ' · ' + esc(t('track.invalid')));
        }, { sticky: true, direction: 'top', className: 'gs-hover-label' });
        line.on('click', function () { go(work.patrolPage + encodeURIComponent(p.code)); });
        group.addLayer(line);
      });
      state.counts.track = group.getLayers().length;
      state.map.getContainer().dataset.tracks = String(state.counts.track);
      buildLayersControl();
    } catch (err) {
      if (seq === work.tracksSeq) loadFailed('what.tracks', null, err);
    }
  }

  /** Adds the signed-in layers and wires the filters (nothing for a public visitor). */
  function startWork(map) {
    const config = workConfig();
    if (!config) return Promise.resolve();
    state.work = Object.assign(config, {
      renderer: L.canvas({ pane: 'gs-case', padding: 0.3 }),
      casesSeq: 0,
      tracksSeq: 0,
      timer: null
    });
    state.layers.enterprise = L.layerGroup().addTo(map);
    state.layers.track = L.layerGroup().addTo(map);
    state.layers.cases = L.layerGroup().addTo(map);
    state.layers.cases.on('add', scheduleCases);
    map.on('moveend', scheduleCases);
    const form = document.getElementById('gs-filters');
    if (form) {
      form.addEventListener('submit', function (e) { e.preventDefault(); });
      form.addEventListener('change', function (e) {
        const name = e.target && e.target.name;
        if (name === 'month') loadTracks();
        if (name !== 'month' || filterValues().period === 'month') refreshCases();
      });
    }
    renderLegend();
    return Promise.all([loadEnterprises(), loadTracks(), refreshCases()]);
  }

  // ---------------------------------------------------------------------------
  // Start-up
  // ---------------------------------------------------------------------------

  function tileUrlFromConfig() {
    // The server puts the configured tile URL in <body data-tile-url> (no inline script: CSP).
    const url = (document.body.dataset.tileUrl || '').trim();
    // An unreplaced placeholder means "no tiles".
    if (!url || url.indexOf('{{') >= 0) return '';
    return url;
  }

  function updateLabelVisibility() {
    const map = state.map;
    if (!map) return;
    map.getContainer().classList.toggle('gs-zoom-low', map.getZoom() < COMMUNITY_LABEL_MIN_ZOOM);
  }

  function fitToData() {
    const order = ['town', 'community', 'village', 'river'];
    for (let i = 0; i < order.length; i++) {
      const l = state.layers[order[i]];
      if (!l || !l.getBounds) continue;
      const b = l.getBounds();
      if (b && b.isValid()) {
        state.map.fitBounds(b, { padding: [12, 12] });
        return true;
      }
    }
    return false;
  }

  function setTownName(fc) {
    const features = featuresOf(fc) || [];
    for (let i = 0; i < features.length; i++) {
      const p = propsOf(features[i]);
      if (p.level === 'town' && p.name) { state.townName = String(p.name); break; }
      const chain = chainOf(p);
      if (chain[0] && chain[0].level === 'town' && chain[0].name) { state.townName = String(chain[0].name); break; }
    }
    applyPageTexts();
  }

  async function loadGrid(level) {
    try {
      const fc = await apiGet('/api/v1/grids?level=' + level);
      const layer = gridLayer(level, fc);
      state.layers[level] = layer;
      layer.addTo(state.map);
      if (!state.townName) setTownName(fc);
    } catch (err) {
      loadFailed('what.' + level, null, err);
    }
  }

  async function loadRivers() {
    try {
      const fc = await apiGet('/api/v1/rivers');
      const r = riverLayer(fc);
      state.layers.river = r.layer;
      r.layer.addTo(state.map);
      return r.features;
    } catch (err) {
      loadFailed('what.rivers', null, err);
      return [];
    }
  }

  async function start() {
    applyPageTexts();
    wireLangSwitch();
    if (typeof window.L === 'undefined' || !window.L.map) {
      showBanner(function () { return t('err.leaflet'); });
      hideLoading();
      return;
    }

    const map = L.map('map', {
      zoomSnap: 0.5,
      zoomDelta: 0.5,
      wheelPxPerZoomLevel: 90,
      minZoom: 3,
      maxZoom: 19,
      worldCopyJump: false,
      preferCanvas: false
    }).setView([35, 105], 4);
    state.map = map;
    // For the browser tests and benchmarks: the map they drive and project with.
    map.getContainer().gsMap = map;
    createPanes(map);
    map.attributionControl.setPrefix(
      '<a href="https://leafletjs.com" title="Leaflet 1.9.4, BSD-2-Clause">Leaflet</a>');

    const tileUrl = tileUrlFromConfig();
    if (tileUrl) {
      const base = L.tileLayer(tileUrl, {
        maxZoom: 19,
        attribution: ''
      });
      base.on('tileerror', function () { /* a missing tile is not worth a banner */ });
      base.addTo(map);
      state.layers.base = base;
      map.getContainer().classList.add('gs-has-tiles');
    }

    map.on('popupopen', function (e) { state.openPopup = e.popup; });
    map.on('popupclose', function (e) { if (state.openPopup === e.popup) state.openPopup = null; });
    map.on('click', function (e) { locateAt(e.latlng); });
    map.on('zoomend', updateLabelVisibility);
    updateLabelVisibility();

    state.layers.reach = L.layerGroup();
    state.layers.reach.on('add', function () {
      ensureReaches().catch(function (err) { loadFailed('what.rivers', null, err); });
    });

    addControls(map);
    buildLayersControl();

    state.rivers = loadRivers();
    await Promise.all(LEVELS.map(loadGrid).concat([state.rivers]));

    buildLayersControl();
    if (!fitToData()) showBanner(function () { return t('err.empty'); });
    updateLabelVisibility();
    hideLoading();
    await startWork(map);
    buildLayersControl();
  }

  function hideLoading() {
    const el = document.getElementById('gs-loading');
    if (el) el.hidden = true;
  }

  window.addEventListener('unhandledrejection', function (e) {
    const r = e && e.reason;
    console.error('gridsafe: unhandled', r);
    showBanner(function () { return t('err.script', { msg: errorText(r) }); });
  });

  function boot() {
    start().catch(function (err) {
      console.error('gridsafe: start-up failed', err);
      showBanner(function () { return t('err.script', { msg: errorText(err) }); });
      hideLoading();
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', boot);
  } else {
    boot();
  }
})();
