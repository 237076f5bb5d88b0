fn main() -> std::process::ExitCode {
    dtap::cli::run()
}
