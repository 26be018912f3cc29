//! Build script: gives the C library (`libdoku.so`) its soname, `libdoku.so.<major>`, so
//! `make install` can install `libdoku.so.X.Y.Z` with the `libdoku.so.<major>` and
//! `libdoku.so` links programs expect, and a program linked with `-ldoku` records
//! `libdoku.so.<major>` as what it needs. The C ABI is append-only, so the major only
//! changes when a function or code is removed. (The Python extension module is a crate of
//! its own, bindings/python, and has no soname.)

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    match std::env::var("CARGO_CFG_TARGET_OS").as_deref() {
        Ok("linux") | Ok("freebsd") | Ok("netbsd") | Ok("openbsd") => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libdoku.so.{major}");
        }
        // An APK holds only `lib<name>.so` files: a versioned soname would make any JNI
        // library linked against libdoku need a `libdoku.so.0` that Android never installs.
        Ok("android") => println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libdoku.so"),
        Ok("macos") | Ok("ios") => {
            println!("cargo:rustc-cdylib-link-arg=-Wl,-install_name,@rpath/libdoku.{major}.dylib");
        }
        _ => {}
    }
}
