//! C strings for every member of a JSON object the library hands out (tokens, claims), built once so
//! that getters can return pointers that live as long as the object. Zeroed when dropped.

use serde_json::{Map, Value};
use std::ffi::c_char;
use std::io::{self, Write};
use zeroize::Zeroizing;

/// Every member's text and the raw JSON live NUL-terminated in one buffer, sized exactly up front:
/// one allocation per token instead of three per member, and no reallocation that would leave an
/// unzeroed copy of a token behind.
pub(crate) struct CView {
    buffer: Zeroizing<Vec<u8>>,
    members: Vec<Member>,
    raw_json: usize,
}

/// Offsets into the buffer. The name is not NUL-terminated: it is only compared, never handed out.
struct Member {
    name: (usize, usize),
    text: usize,
    is_string: bool,
}

impl CView {
    pub fn new(members: &Map<String, Value>, raw_json: &str) -> CView {
        let size = members.iter().map(|(name, value)| name.len() + text_len(value) + 1).sum::<usize>()
            + lossy_len(raw_json)
            + 1;
        let mut buffer = Zeroizing::new(Vec::with_capacity(size));
        let members = members
            .iter()
            .map(|(name, value)| {
                let name_at = buffer.len();
                buffer.extend_from_slice(name.as_bytes());
                let text = buffer.len();
                match value {
                    Value::String(s) => push_lossy(&mut buffer, s),
                    // Writing JSON into a Vec cannot fail.
                    other => serde_json::to_writer(&mut *buffer, other).expect("JSON into memory"),
                }
                buffer.push(0);
                Member { name: (name_at, text), text, is_string: value.is_string() }
            })
            .collect();
        let raw_at = buffer.len();
        push_lossy(&mut buffer, raw_json);
        buffer.push(0);
        debug_assert_eq!(buffer.len(), size, "sized exactly, never reallocated");
        CView { buffer, members, raw_json: raw_at }
    }

    fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| &self.buffer[m.name.0..m.name.1] == name.as_bytes())
    }

    fn at(&self, offset: usize) -> *const c_char {
        self.buffer[offset..].as_ptr().cast()
    }

    /// A string member, NULL when absent or not a string.
    pub fn string(&self, name: &str) -> *const c_char {
        self.member(name).filter(|m| m.is_string).map_or(std::ptr::null(), |m| self.at(m.text))
    }

    /// Any member: a string as its text, another value as its JSON text; NULL when absent.
    pub fn get(&self, name: &str) -> *const c_char {
        self.member(name).map_or(std::ptr::null(), |m| self.at(m.text))
    }

    pub fn raw_json(&self) -> *const c_char {
        self.at(self.raw_json)
    }
}

/// NUL characters (possible in server-sent JSON strings) become U+FFFD, as in
/// [`lossy_c_string`](super::strings::lossy_c_string), so that nothing is cut off silently.
fn push_lossy(buffer: &mut Vec<u8>, text: &str) {
    let mut parts = text.split('\0');
    buffer.extend_from_slice(parts.next().unwrap_or("").as_bytes());
    for part in parts {
        buffer.extend_from_slice("\u{FFFD}".as_bytes());
        buffer.extend_from_slice(part.as_bytes());
    }
}

fn lossy_len(text: &str) -> usize {
    text.len() + text.bytes().filter(|&b| b == 0).count() * ("\u{FFFD}".len() - 1)
}

/// The length of a member's text, without its terminating NUL.
fn text_len(value: &Value) -> usize {
    match value {
        Value::String(s) => lossy_len(s),
        other => {
            let mut counter = ByteCounter(0);
            serde_json::to_writer(&mut counter, other).expect("counting cannot fail");
            counter.0
        }
    }
}

struct ByteCounter(usize);

impl Write for ByteCounter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.0 += data.len();
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs a getter on an object passed from C, NULL-safe and panic-safe.
pub(crate) fn read<T: Copy, H>(handle: *const H, absent: T, get: impl FnOnce(&H) -> T) -> T {
    // SAFETY: the caller passes NULL or a live handle of this type.
    match unsafe { handle.as_ref() } {
        Some(handle) => super::boundary::infallible(absent, || get(handle)),
        None => absent,
    }
}

/// A member name passed from C, or None when NULL or not UTF-8.
///
/// # Safety
/// `name` is NULL or a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn member_name<'a>(name: *const c_char) -> Option<&'a str> {
    if name.is_null() {
        return None;
    }
    // SAFETY: as promised by the caller.
    unsafe { std::ffi::CStr::from_ptr(name) }.to_str().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn text(p: *const c_char) -> Option<String> {
        // SAFETY: pointers from a live CView, or NULL.
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_str().unwrap().to_string())
    }

    #[test]
    fn every_member_and_the_raw_json_as_c_strings() {
        let raw = r#"{"access_token":"a\u0000b","expires_in":3600,"nested":{"k":[1,"x"]},"e":""}"#;
        let Value::Object(members) = serde_json::from_str(raw).unwrap() else { unreachable!() };
        let view = CView::new(&members, raw);
        assert_eq!(text(view.string("access_token")).as_deref(), Some("a\u{FFFD}b"), "NUL replaced, not cut");
        assert_eq!(text(view.string("expires_in")), None, "not a string");
        assert_eq!(text(view.get("expires_in")).as_deref(), Some("3600"));
        assert_eq!(text(view.get("nested")).as_deref(), Some(r#"{"k":[1,"x"]}"#));
        assert_eq!(text(view.string("e")).as_deref(), Some(""));
        assert_eq!(text(view.get("missing")), None);
        assert_eq!(text(view.get("access")), None, "a prefix of a name is not the name");
        assert_eq!(text(view.raw_json()).as_deref(), Some(raw));
        assert_eq!(view.buffer.len(), view.buffer.capacity(), "sized exactly");
    }
}
