//! C strings for every member of a JSON object the library hands out (tokens, claims), built once so
//! that getters can return pointers that live as long as the object. Zeroed when dropped.

use super::strings::lossy_c_string;
use serde_json::{Map, Value};
use std::ffi::{c_char, CString};
use zeroize::Zeroize;

pub(crate) struct CView {
    members: Vec<Member>,
    raw_json: CString,
}

struct Member {
    name: String,
    is_string: bool,
    text: CString,
}

impl CView {
    pub fn new(members: &Map<String, Value>, raw_json: &str) -> CView {
        let members = members
            .iter()
            .map(|(name, value)| match value {
                Value::String(s) => Member { name: name.clone(), is_string: true, text: lossy_c_string(s) },
                other => Member { name: name.clone(), is_string: false, text: lossy_c_string(&other.to_string()) },
            })
            .collect();
        CView { members, raw_json: lossy_c_string(raw_json) }
    }

    fn member(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }

    /// A string member, NULL when absent or not a string.
    pub fn string(&self, name: &str) -> *const c_char {
        self.member(name).filter(|m| m.is_string).map_or(std::ptr::null(), |m| m.text.as_ptr())
    }

    /// Any member: a string as its text, another value as its JSON text; NULL when absent.
    pub fn get(&self, name: &str) -> *const c_char {
        self.member(name).map_or(std::ptr::null(), |m| m.text.as_ptr())
    }

    pub fn raw_json(&self) -> *const c_char {
        self.raw_json.as_ptr()
    }
}

impl Drop for CView {
    fn drop(&mut self) {
        for member in &mut self.members {
            member.text.zeroize();
        }
        self.raw_json.zeroize();
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
