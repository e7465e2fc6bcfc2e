//! The panic boundary and argument conversion shared by every `extern "C"` function.

use super::last_error;
use crate::error::{Error, Result, Status};
use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs the body of a fallible C function: clears the thread's last error, catches panics, and turns
/// the outcome into a status, recording failures as the last error.
pub(crate) fn call(body: impl FnOnce() -> Result<()>) -> Status {
    last_error::clear();
    let error = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => return Status::Ok,
        Ok(Err(error)) => error,
        Err(_) => panic_error(),
    };
    last_error::set(&error);
    error.status()
}

/// Like [`call`] for functions that return a pointer, NULL on failure.
pub(crate) fn call_returning<T>(body: impl FnOnce() -> Result<*mut T>) -> *mut T {
    let mut out = std::ptr::null_mut();
    call(|| {
        out = body()?;
        Ok(())
    });
    out
}

/// Catches panics in functions that cannot report errors (getters, free functions), returning
/// `fallback` instead of unwinding into C.
pub(crate) fn infallible<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn panic_error() -> Error {
    // The panic payload is not included: it could quote data the panic was about.
    Error::internal("a panic was caught at the C API boundary; this is a bug in qflow-auth, please report it")
}

/// A required string argument: not NULL, UTF-8. The error names the parameter.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn required_str<'a>(name: &str, ptr: *const c_char) -> Result<&'a str> {
    optional_str(name, ptr)?.ok_or_else(|| Error::invalid_argument(format!("{name} must not be NULL")))
}

/// An optional string argument: NULL is `None`; otherwise it must be UTF-8.
///
/// # Safety
/// As for [`required_str`].
pub(crate) unsafe fn optional_str<'a>(name: &str, ptr: *const c_char) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: the caller guarantees a NUL-terminated string.
    let text = unsafe { CStr::from_ptr(ptr) };
    text.to_str().map(Some).map_err(|_| Error::invalid_argument(format!("{name} is not valid UTF-8")))
}

/// Like [`call`] for functions that hand out a new object through an output parameter: `out` is
/// checked before any work is done (a NULL one fails without side effects), and written only when
/// `make` succeeds, with an owned pointer the caller releases with the object's free function.
pub(crate) fn call_with_output<T>(name: &str, out: *mut *mut T, make: impl FnOnce() -> Result<T>) -> Status {
    call_with_optional_output(name, out, || make().map(Some))
}

/// Like [`call_with_output`] for functions that may have nothing to hand out: on success `out` gets
/// the object, or NULL when `make` returns `None`.
pub(crate) fn call_with_optional_output<T>(
    name: &str,
    out: *mut *mut T,
    make: impl FnOnce() -> Result<Option<T>>,
) -> Status {
    call(|| {
        if out.is_null() {
            return Err(Error::invalid_argument(format!("{name} must not be NULL")));
        }
        let value = make()?;
        // SAFETY: checked non-NULL above; the caller guarantees it points to writable memory.
        unsafe { *out = value.map_or(std::ptr::null_mut(), |value| Box::into_raw(Box::new(value))) };
        Ok(())
    })
}

/// Borrows the Rust object behind a handle.
///
/// # Safety
/// `ptr` is NULL or a live handle of this type created by this library.
pub(crate) unsafe fn handle<'a, T>(name: &str, ptr: *const T) -> Result<&'a T> {
    // SAFETY: the caller guarantees that a non-NULL pointer is a live handle.
    unsafe { ptr.as_ref() }.ok_or_else(|| Error::invalid_argument(format!("{name} must not be NULL")))
}

/// Mutably borrows the Rust object behind a handle.
///
/// # Safety
/// As for [`handle`], and no other reference to it is in use.
pub(crate) unsafe fn handle_mut<'a, T>(name: &str, ptr: *mut T) -> Result<&'a mut T> {
    // SAFETY: the caller guarantees that a non-NULL pointer is a live, unaliased handle.
    unsafe { ptr.as_mut() }.ok_or_else(|| Error::invalid_argument(format!("{name} must not be NULL")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_an_internal_error_instead_of_unwinding() {
        let status = call(|| panic!("boom with secret hunter2"));
        assert_eq!(status, Status::Internal);
        assert_eq!(super::super::qflow_last_error_status(), Status::Internal);
        // SAFETY: the pointer is valid until the next fallible call on this thread.
        let message = unsafe { CStr::from_ptr(super::super::qflow_last_error_message()) }.to_str().unwrap();
        assert!(message.contains("panic"), "{message}");
        assert!(!message.contains("hunter2"), "the panic payload is not repeated");
        assert!(call_returning::<u8>(|| panic!("again")).is_null());
        assert_eq!(infallible(7, || panic!("getter")), 7);
    }
}
