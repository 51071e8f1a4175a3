//! The C engine's four calls, wrapped so that nothing else in Osez touches
//! a raw pointer.
#![allow(unsafe_code)]

use std::ffi::{CString, c_char, c_int};
use std::path::Path;
use std::ptr::NonNull;

use crate::DIM;

#[repr(C)]
struct E5Model {
    _private: [u8; 0],
}

unsafe extern "C" {
    fn e5_load(path: *const c_char) -> *mut E5Model;
    fn e5_free(m: *mut E5Model);
    fn e5_dim(m: *const E5Model) -> c_int;
    fn e5_embed(m: *mut E5Model, text: *const c_char, is_query: c_int, out: *mut f32) -> c_int;
    fn e5_embed_batch(m: *mut E5Model, texts: *const *const c_char, n: c_int, is_query: c_int, out: *mut f32) -> c_int;
    /// OpenMP: the threads of the calling thread's next parallel regions.
    fn omp_set_num_threads(n: c_int);
}

/// Every embedding is spread over every core.
fn all_cores() {
    let n = std::thread::available_parallelism().map_or(1, |n| n.get());
    // SAFETY: as above.
    unsafe { omp_set_num_threads(c_int::try_from(n).unwrap_or(1)) }
}

/// An owned model, used by the one thread that embeds (`crate::Model`).
pub(crate) struct Handle {
    model: NonNull<E5Model>,
}

// SAFETY: the model is plain memory owned by this handle, with no tie to
// the thread that loaded it; it moves once, to the embedding thread.
unsafe impl Send for Handle {}

impl Handle {
    /// Loads a file that `verify` already accepted.
    pub(crate) fn load(path: &Path) -> Option<Self> {
        let c = CString::new(path.as_os_str().as_encoded_bytes()).ok()?;
        // SAFETY: `c` is a valid NUL-terminated string for the call.
        let raw = unsafe { e5_load(c.as_ptr()) };
        let handle = Self { model: NonNull::new(raw)? };
        // SAFETY: the model is valid until dropped.
        let dim = unsafe { e5_dim(handle.model.as_ptr()) };
        (usize::try_from(dim).ok() == Some(DIM)).then_some(handle)
    }

    pub(crate) fn embed(&self, text: &str, query: bool) -> Vec<f32> {
        let mut out = vec![0f32; DIM];
        let Ok(c) = CString::new(text) else { return out };
        all_cores();
        // SAFETY: the model is valid, `c` is NUL-terminated and `out`
        // holds `DIM` floats, as `e5_embed` requires.
        let rc = unsafe { e5_embed(self.model.as_ptr(), c.as_ptr(), c_int::from(query), out.as_mut_ptr()) };
        if rc != 0 {
            out.iter_mut().for_each(|x| *x = 0.0);
        }
        out
    }

    pub(crate) fn embed_batch(&self, texts: &[String], query: bool) -> Vec<Vec<f32>> {
        let owned: Vec<CString> = texts.iter().map(|t| CString::new(t.as_str()).unwrap_or_default()).collect();
        let ptrs: Vec<*const c_char> = owned.iter().map(|c| c.as_ptr()).collect();
        let Ok(n) = c_int::try_from(ptrs.len()) else { return texts.iter().map(|t| self.embed(t, query)).collect() };
        if n == 0 {
            return Vec::new();
        }
        let mut out = vec![0f32; DIM * ptrs.len()];
        all_cores();
        // SAFETY: `ptrs` holds `n` NUL-terminated strings that `owned`
        // keeps alive, and `out` holds `n * DIM` floats.
        let rc = unsafe { e5_embed_batch(self.model.as_ptr(), ptrs.as_ptr(), n, c_int::from(query), out.as_mut_ptr()) };
        if rc != 0 {
            out.iter_mut().for_each(|x| *x = 0.0);
        }
        out.chunks(DIM).map(<[f32]>::to_vec).collect()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the pointer came from `e5_load` and is freed once.
        unsafe { e5_free(self.model.as_ptr()) }
    }
}
