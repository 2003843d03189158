//! The audit chain: every entry's hash covers the previous entry's hash and
//! its own fields, so editing or deleting any entry breaks every hash after it.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// Lower-case hex of any bytes.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

/// Lower-case hex SHA-256 of `bytes`: the form every stored hash takes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What an action records: who did what to which case, when, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Record {
    /// The case, if the entry is about one.
    pub case_id: Option<i64>,
    /// Who acted.
    pub actor_id: i64,
    /// When (RFC 3339, China time).
    pub at: String,
    /// The action's machine name (`report`, `register`, ...).
    pub action: String,
    /// Status before.
    pub from: Option<String>,
    /// Status after.
    pub to: Option<String>,
    /// The actor's comment or reason.
    pub comment: String,
    /// Media ids attached.
    pub media: Vec<String>,
    /// SHA-256 of a document issued by this action.
    pub document_sha256: Option<String>,
}

/// One link of the chain: a record, its position and its hashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Position in the chain, 1-based and gap-free.
    pub seq: i64,
    /// What happened.
    #[serde(flatten)]
    pub record: Record,
    /// The previous entry's hash ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

fn field(hasher: &mut Sha256, value: &str) {
    // Length-prefixed, so no two field lists hash the same by shifting a separator.
    hasher.update((value.len() as u64).to_be_bytes());
    hasher.update(value.as_bytes());
}

/// The hash an entry must carry, from its fields and `prev_hash`.
///
/// ```
/// use gridsafe::domain::audit::{Entry, GENESIS, Record, compute_hash};
/// let record = Record { case_id: Some(1), actor_id: 2, action: "report".into(), ..Record::default() };
/// let mut e = Entry { seq: 1, record, prev_hash: GENESIS.into(), hash: String::new() };
/// let h = compute_hash(&e);
/// e.record.comment = "edited".into();
/// assert_ne!(compute_hash(&e), h);
/// ```
pub fn compute_hash(entry: &Entry) -> String {
    let e = &entry.record;
    let mut hasher = Sha256::new();
    field(&mut hasher, &entry.prev_hash);
    let mut number = itoa::Buffer::new();
    field(&mut hasher, number.format(entry.seq));
    field(&mut hasher, e.case_id.map_or("", |c| number.format(c)));
    field(&mut hasher, number.format(e.actor_id));
    field(&mut hasher, &e.at);
    field(&mut hasher, &e.action);
    field(&mut hasher, e.from.as_deref().unwrap_or(""));
    field(&mut hasher, e.to.as_deref().unwrap_or(""));
    field(&mut hasher, &e.comment);
    field(&mut hasher, &e.media.join(","));
    field(&mut hasher, e.document_sha256.as_deref().unwrap_or(""));
    hex(&hasher.finalize())
}

/// The entry that follows `head` (its `seq` and hash; `None`: the chain is
/// empty) recording `record`, hashed.
pub fn link(head: Option<(i64, &str)>, record: Record) -> Entry {
    let (seq, prev_hash) = head.map_or((1, GENESIS.to_owned()), |(s, h)| (s + 1, h.to_owned()));
    let mut entry = Entry { seq, record, prev_hash, hash: String::new() };
    entry.hash = compute_hash(&entry);
    entry
}

/// The actor of entries the server itself records (no person did it).
pub const SYSTEM_ACTOR: i64 = 0;

/// The first place the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Broken {
    /// The first entry that does not check out (or where one is missing).
    pub seq: i64,
    /// What is wrong, in English.
    pub reason: String,
}

/// Walks entries in `seq` order; returns the number checked or the first break.
pub fn verify(entries: impl IntoIterator<Item = Entry>) -> Result<i64, Broken> {
    verify_after(None, entries).map(|(checked, _)| checked)
}

/// Walks entries in `seq` order that follow `head` (the last entry already
/// verified, its `seq` and hash; `None`: from the first); returns how many
/// were checked and the new head, or the first break.
pub fn verify_after(
    head: Option<(i64, String)>,
    entries: impl IntoIterator<Item = Entry>,
) -> Result<(i64, Option<(i64, String)>), Broken> {
    let (mut expected_seq, mut prev) = head.clone().map_or((1, GENESIS.to_owned()), |(seq, hash)| (seq + 1, hash));
    let first = expected_seq;
    for e in entries {
        if e.seq != expected_seq {
            return Err(Broken {
                seq: expected_seq,
                reason: format!("entry {expected_seq} is missing (next is {})", e.seq),
            });
        }
        if e.prev_hash != prev {
            return Err(Broken { seq: e.seq, reason: "prev_hash does not match the previous entry".into() });
        }
        if compute_hash(&e) != e.hash {
            return Err(Broken { seq: e.seq, reason: "the entry's content does not match its hash (edited)".into() });
        }
        prev = e.hash;
        expected_seq += 1;
    }
    let checked = expected_seq - first;
    let head = if checked == 0 { head } else { Some((expected_seq - 1, prev)) };
    Ok((checked, head))
}
