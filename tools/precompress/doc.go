// Command precompress writes NAME.br and NAME.gz beside each file named on
// its command line, so the server can send static files compressed at the
// best ratio without compressing per request. `make wasm` runs it.
package main
