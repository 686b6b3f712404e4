//! The `dutydesk` binary: parse the command line and dispatch (all the work is
//! in the library).

fn main() {
    let code = dutydesk::entry::run(std::env::args_os().collect());
    std::process::exit(code);
}
