//! Compiles `proto/*.proto` (our own proto2 schemas of `OpenD`'s messages) into prost types.
//!
//! Uses protox, a pure-Rust protobuf compiler, so a fresh machine with only cargo builds:
//! no system `protoc`, no cmake.

use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files: Vec<String> = std::fs::read_dir("proto")?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "proto"))
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    files.sort();
    let fds = protox::compile(&files, ["proto"])?;
    prost_build::Config::new()
        .include_file("opend_pb.rs")
        .compile_fds(fds)?;
    println!("cargo:rerun-if-changed=proto");
    for f in &files {
        println!(
            "cargo:rerun-if-changed={}",
            Path::new("proto").join(f).display()
        );
    }
    Ok(())
}
