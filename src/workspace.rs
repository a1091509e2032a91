//! The `workspaces` routes, used to check credentials.

use std::time::SystemTime;

use crate::client::Client;
use crate::error::Error;
use crate::response::{self, Fields, Reply};
use crate::retry;

/// A Seam workspace, as `GET /workspaces/get` returns it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Workspace {
    /// The workspace's id.
    pub workspace_id: String,
    /// The workspace's name.
    pub name: Option<String>,
    /// The company the workspace belongs to.
    pub company_name: Option<String>,
    /// Whether this is a sandbox workspace with simulated devices.
    pub is_sandbox: Option<bool>,
}

/// The `workspaces` routes, from [`Client::workspaces`].
#[derive(Debug, Clone, Copy)]
pub struct Workspaces<'a> {
    pub(crate) client: &'a Client,
}

impl Workspaces<'_> {
    /// Fetches the workspace the credentials act in, with `GET /workspaces/get`; a cheap
    /// way to check that the credentials work.
    ///
    /// # Errors
    ///
    /// [`Error::Unauthorized`] for credentials the server rejects, and the other errors of
    /// a request.
    pub fn get(&self) -> Result<Workspace, Error> {
        self.client
            .call("GET", "/workspaces/get", None, None, read_workspace)
    }

    /// Fetches the workspace like [`get`](Self::get), and returns with it the time in the
    /// response's `Date` header, to compare the local clock with the server's. The time is
    /// `None` when the header is missing or not an IMF-fixdate such as
    /// `Sun, 06 Nov 1994 08:49:37 GMT`.
    ///
    /// # Errors
    ///
    /// As [`get`](Self::get).
    pub fn get_with_server_time(&self) -> Result<(Workspace, Option<SystemTime>), Error> {
        self.client
            .call("GET", "/workspaces/get", None, None, |reply| {
                let date = reply.date.as_deref().and_then(retry::parse_http_date);
                let time = date.and_then(|date| date.to_system_time());
                Ok((read_workspace(reply)?, time))
            })
    }
}

/// Reads the `workspace` of a `/workspaces/get` reply.
fn read_workspace(reply: &Reply) -> Result<Workspace, Error> {
    let value = response::success_json(reply)?;
    value
        .as_ref()
        .and_then(Fields::new)
        .and_then(|fields| fields.get("workspace"))
        .and_then(Fields::new)
        .and_then(|fields| {
            Some(Workspace {
                workspace_id: fields.string("workspace_id")?,
                name: fields.string("name"),
                company_name: fields.string("company_name"),
                is_sandbox: fields.bool("is_sandbox"),
            })
        })
        .ok_or_else(|| response::unreadable(reply))
}
