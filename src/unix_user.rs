//! OS user accounts: the default database user name (like libpq) and the unprivileged account
//! the throwaway server must run as when pgpubsub runs as root.

use std::ffi::{CStr, CString};

/// One entry of the user database.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// The user pgpubsub runs as (effective uid).
pub fn effective() -> Option<User> {
    // SAFETY: geteuid has no preconditions.
    let uid = unsafe { libc::geteuid() };
    lookup(|pw, buf, out| unsafe { libc::getpwuid_r(uid, pw, buf.as_mut_ptr(), buf.len(), out) })
}

/// The user called `name`, if it exists.
pub fn by_name(name: &str) -> Option<User> {
    let name = CString::new(name).ok()?;
    lookup(|pw, buf, out| unsafe {
        libc::getpwnam_r(name.as_ptr(), pw, buf.as_mut_ptr(), buf.len(), out)
    })
}

/// Whether pgpubsub runs as root.
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// Run a reentrant getpw*_r call with a private buffer and copy the result out.
fn lookup(
    call: impl Fn(*mut libc::passwd, &mut [libc::c_char], *mut *mut libc::passwd) -> libc::c_int,
) -> Option<User> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: passwd is plain old data; the call fills it and points its strings into `buf`,
    // which outlives every read below.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    if call(&mut pw, &mut buf, &mut out) != 0 || out.is_null() {
        return None;
    }
    // SAFETY: on success pw_name is a NUL-terminated string inside `buf`.
    let name = unsafe { CStr::from_ptr(pw.pw_name) }
        .to_string_lossy()
        .into_owned();
    Some(User {
        name,
        uid: pw.pw_uid,
        gid: pw.pw_gid,
    })
}
