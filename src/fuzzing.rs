//! Entry points for the fuzz targets under `fuzz/` and their regression tests.
//!
//! For fuzzing only: this module is hidden from the docs, is not a stable API, and may
//! change or disappear in any release.

use crate::credential::AcsCredential;
use crate::error::Error;
use crate::response::{self, Reply};

/// Decodes a complete reply to `acs/credentials/update` as [`Credentials::update`] does,
/// from its status, `content-type` header and body. The reply has no request id, no
/// `location` header, and a body that was not cut by the size cap.
///
/// # Errors
///
/// The error that [`Credentials::update`] returns for this reply.
///
/// [`Credentials::update`]: crate::Credentials::update
pub fn decode_update_response(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Option<AcsCredential>, Error> {
    let reply = Reply {
        status,
        content_type: content_type.map(str::to_owned),
        body: body.to_vec(),
        ..Reply::default()
    };
    response::optional_credential(&reply)
}
