//! Loops in a decoded answer: a long run of whitespace, or text that keeps
//! repeating a few pieces (`979797…`), which a greedy decoder caught in
//! never leaves to close its string or block.

/// The most whitespace bytes in a row before they count as a loop.
pub const LOOP_SPAN: usize = 8;
/// The span, in bytes, a loop is looked for in.
pub const LOOP_WINDOW: usize = 32;
/// The most distinct 4-byte pieces a [`LOOP_WINDOW`] of a loop holds (an
/// ordinary 32 bytes holds close to 29).
pub const LOOP_VARIETY: usize = 14;

/// Whether `s` ends in a loop: more than [`LOOP_SPAN`] whitespace bytes,
/// or a last [`LOOP_WINDOW`] bytes (whitespace runs counted as one space)
/// with at most [`LOOP_VARIETY`] distinct 4-byte pieces (`9797…`,
/// `ab ab ab …`, even with stray bytes in between).
pub fn loops(s: &[u8]) -> bool {
    let blank = s
        .iter()
        .rev()
        .take_while(|b| b.is_ascii_whitespace())
        .count();
    if blank > LOOP_SPAN {
        return true;
    }
    let tail = tail(s);
    tail.len() == LOOP_WINDOW && grams(&tail).len() <= LOOP_VARIETY
}

/// Whether `next`, `text` with more bytes, keeps a loop going: it ends in
/// one ([`loops`]) and its new bytes say nothing new (no 4-byte piece that
/// `text`'s last [`LOOP_WINDOW`] bytes lack). Closing a looping string
/// says something new; another round of the loop does not.
pub fn repeats(text: &[u8], next: &[u8]) -> bool {
    if !loops(next) {
        return false;
    }
    let (before, after) = (tail(text), tail(next));
    let seen = grams(&before);
    grams(&after).iter().all(|g| seen.contains(g))
}

/// The last [`LOOP_WINDOW`] bytes of `s`, whitespace runs as one space,
/// back to front.
fn tail(s: &[u8]) -> Vec<u8> {
    let mut tail = Vec::with_capacity(LOOP_WINDOW);
    for &b in s.iter().rev() {
        if tail.len() == LOOP_WINDOW {
            break;
        }
        let space = b.is_ascii_whitespace();
        if !(space && tail.last() == Some(&b' ')) {
            tail.push(if space { b' ' } else { b });
        }
    }
    tail
}

/// The distinct 4-byte pieces of `s`, sorted.
fn grams(s: &[u8]) -> Vec<&[u8]> {
    let mut grams: Vec<&[u8]> = s.windows(4).collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}
