//! What one-shot commands print for the person who ran them.

/// Prints one line of a command's answer on stdout.
#[expect(clippy::print_stdout, reason = "stdout is where a command's answer goes")]
pub fn say(line: &str) {
    println!("{line}");
}
