//! Tokens this thread verified lately, so that a client sending the same
//! token again skips the signature and the claims' JSON (Envoy's `jwt_authn`
//! keeps such a cache too). A hit stands for exactly what verifying again
//! would conclude: the same token bytes, the same verifier (issuer,
//! audience, leeway) and the same key ring object, and the time checks are
//! made again on every hit. A ring that is swapped out makes its entries
//! misses; they do not keep its keys alive.
//!
//! One table per thread (the HTTP workers are threads), direct-mapped on
//! the signature's last bytes, so a lookup takes no lock and shares no cache
//! line. Only tokens that verified are remembered: made-up tokens cannot
//! displace them. Tokens are compared without an early exit, so the time a
//! lookup takes says nothing of how much of a remembered token a guess
//! matched.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use super::{Claims, KeyRing};

/// Entries per thread: some hundreds of kilobytes when full (a token and its
/// claims are a few hundred bytes), nothing while idle.
const SLOTS: usize = 256;
// `slot` takes the top bits of a product: a power of two, or it indexes past the end.
const _: () = assert!(SLOTS.is_power_of_two());

struct Entry {
    verifier: u64,
    ring: Weak<KeyRing>,
    token: Box<str>,
    claims: Arc<Claims>,
}

thread_local! {
    static RECENT: RefCell<Vec<Option<Entry>>> = const { RefCell::new(Vec::new()) };
}

/// The slot for `token`: its last eight bytes are signature (base64url of a
/// MAC or a signature) on every token that verified.
fn slot(bytes: &[u8]) -> usize {
    let mut tail = [0u8; 8];
    let take = bytes.len().min(8);
    tail[..take].copy_from_slice(&bytes[bytes.len() - take..]);
    let mixed = u64::from_le_bytes(tail).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (mixed >> (64 - SLOTS.trailing_zeros())) as usize
}

/// The claims `verifier` found in `token` under `ring`, if this thread
/// verified it lately (their times still to be checked).
pub(super) fn lookup(verifier: u64, ring: &Arc<KeyRing>, token: &[u8]) -> Option<Arc<Claims>> {
    RECENT.with_borrow(|slots| {
        let entry = slots.get(slot(token))?.as_ref()?;
        let same = entry.verifier == verifier
            && std::ptr::eq(entry.ring.as_ptr(), Arc::as_ptr(ring))
            && same_bytes(entry.token.as_bytes(), token);
        same.then(|| entry.claims.clone())
    })
}

/// Remembers that `verifier` found `claims` in `token` under `ring`.
pub(super) fn remember(verifier: u64, ring: &Arc<KeyRing>, token: &str, claims: Arc<Claims>) {
    RECENT.with_borrow_mut(|slots| {
        if slots.is_empty() {
            slots.resize_with(SLOTS, || None);
        }
        slots[slot(token.as_bytes())] = Some(Entry {
            verifier,
            ring: Arc::downgrade(ring),
            token: token.into(),
            claims,
        });
    });
}

/// Whether `a` and `b` are equal, looking at every byte whatever the first
/// difference (a fold, not `==`, which stops at it).
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}
