// Package checkgrid holds the web files the server embeds: index.html and
// assets/ (the wasm client, wasm_exec.js and their precompressed .br and .gz
// siblings, written by `make wasm`). Its one entry point is Files.
package checkgrid
