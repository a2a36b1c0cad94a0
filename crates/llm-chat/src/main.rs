use std::process::ExitCode;

fn main() -> ExitCode {
    llm_chat::cli::main()
}
