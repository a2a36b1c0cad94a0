//! The `mock-llm` binary: see the library documentation.

use clap::Parser;
use mock_llm::Options;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let options = Options::parse();
    let listener = match tokio::net::TcpListener::bind((options.host.as_str(), options.port)).await {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("mock-llm: cannot listen on {}:{}: {err}", options.host, options.port);
            return std::process::ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(err) => {
            eprintln!("mock-llm: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    announce(&format!("mock-llm listening on http://{addr}"));
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, mock_llm::app(options))
        .with_graceful_shutdown(shutdown)
        .await
    {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("mock-llm: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The one line a harness waits for.
#[expect(clippy::print_stdout, reason = "the listening address is this program's output")]
fn announce(line: &str) {
    println!("{line}");
}
