//! Raising the open-file limit: thousands of held streams need two sockets
//! each in llm-chat (client and model server) and one each here. Children
//! inherit the limit, so llm-chat gets it too.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Raises the soft limit on open files to the hard limit (and, when allowed,
/// the hard limit to `wanted`); returns the soft limit in force.
pub fn raise_open_files(wanted: u64) -> u64 {
    let current = getrlimit(Resource::Nofile);
    let hard = current.maximum.unwrap_or(u64::MAX);
    if hard < wanted {
        // Only root may raise the hard limit; others keep what they have.
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(wanted),
                maximum: Some(wanted),
            },
        );
    }
    let hard = getrlimit(Resource::Nofile).maximum.unwrap_or(u64::MAX);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(hard),
            maximum: Some(hard),
        },
    );
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}
