//! Build tool: splits the browser WASM at its `#[lazy]` points (lazy routes), as cargo-leptos
//! does with `--split`. Writes the chunks and their loader into the site's `pkg/` directory,
//! the main module (still to go through wasm-bindgen) to `MAIN_OUT`, and
//! `__wasm_split_manifest.json`, from which the server adds preload links for the chunks a page
//! needs.
//!
//! Usage: `ops-site-split INPUT.wasm PKG_DIR MAIN_OUT.wasm OUT_NAME`

use std::{path::Path, process::ExitCode};

/// The loader's name as Leptos' `HydrationScripts` expects it when files are not hashed.
const LINK_NAME: &str = "./__wasm_split.______________________.js";
const MANIFEST: &str = "__wasm_split_manifest.json";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, pkg_dir, main_out, out_name] = args.as_slice() else {
        eprintln!("usage: ops-site-split INPUT.wasm PKG_DIR MAIN_OUT.wasm OUT_NAME");
        return ExitCode::from(2);
    };
    match split(
        Path::new(input),
        Path::new(pkg_dir),
        Path::new(main_out),
        out_name,
    ) {
        Ok(chunks) => {
            println!("split {input}: {chunks} lazy chunk(s) in {pkg_dir}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ops-site-split: {e}");
            ExitCode::FAILURE
        }
    }
}

fn split(input: &Path, pkg_dir: &Path, main_out: &Path, out_name: &str) -> Result<usize, String> {
    let wasm = std::fs::read(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let main_module = format!("./{out_name}.js");
    let mut opts = wasm_split_cli_support::Options::new(&wasm);
    opts.output_dir = pkg_dir;
    opts.main_out_path = main_out;
    opts.main_module = &main_module;
    opts.link_name = LINK_NAME;
    let out = wasm_split_cli_support::transform(opts).map_err(|e| format!("{e:#}"))?;
    let manifest = serde_json::to_string_pretty(&out.prefetch_map).map_err(|e| e.to_string())?;
    let path = pkg_dir.join(MANIFEST);
    std::fs::write(&path, manifest).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(out.split_modules.len())
}
