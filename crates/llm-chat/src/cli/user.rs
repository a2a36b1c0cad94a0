//! `llm-chat user …`: create accounts and reset passwords from the server's
//! shell, e.g. the first admin of a server with registration closed.

use super::CliError;
use super::output::say;
use crate::auth::{AuthError, NewPassword, Username, create_user, reset_password};
use crate::config::Config;
use crate::store::{Role, Store};
use std::io::IsTerminal;

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is asked for, or read from stdin.
    Create {
        username: String,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of stdin (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a new password and sign the account out everywhere.
    ResetPassword {
        username: String,
        /// Read the password from the first line of stdin (for scripts).
        #[arg(long)]
        password_stdin: bool,
    },
}

pub async fn run(config: &Config, command: UserCommand) -> Result<(), CliError> {
    let store = Store::connect(&config.database).await?;
    store.migrate().await?;
    let result = match command {
        UserCommand::Create {
            username,
            admin,
            password_stdin,
        } => {
            let username = Username::parse(&username).map_err(AuthError::from)?;
            let password = read_password(password_stdin)?;
            let role = if admin { Role::Admin } else { Role::User };
            create_user(&store, username, password, Some(role)).await.map(|user| {
                say(&format!(
                    "created {} {} (id {})",
                    user.role.as_str(),
                    user.username,
                    user.id
                ));
            })
        }
        UserCommand::ResetPassword {
            username,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            reset_password(&store, &username, password)
                .await
                .map(|user| {
                    say(&format!(
                        "password of {} changed; all their sessions ended",
                        user.username
                    ))
                })
                .map_err(|err| match err {
                    AuthError::InvalidCredentials => AuthError::Invalid(crate::auth::InvalidCredential {
                        field: "username",
                        message: format!("there is no user named {username:?}"),
                    }),
                    other => other,
                })
        }
    };
    store.close().await;
    result.map_err(CliError::from)
}

fn read_password(from_stdin: bool) -> Result<NewPassword, CliError> {
    let raw = if from_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line).map_err(CliError::Io)?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(CliError::Io)?;
        let again = rpassword::prompt_password("Password again: ").map_err(CliError::Io)?;
        if first != again {
            return Err(CliError::Input(
                "the two passwords differ; nothing was changed".to_owned(),
            ));
        }
        first
    } else {
        return Err(CliError::Input(
            "no password given: run in a terminal to be asked, or pass --password-stdin and pipe it in".to_owned(),
        ));
    };
    NewPassword::parse(&raw).map_err(|err| CliError::Auth(err.into()))
}
