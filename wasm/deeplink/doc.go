// Package deeplink reads and writes the view a URL fragment (or the
// desktop's flags) points at, and parses the jump prompt.
//
// Entry points: Parse reads "#x=<X>&y=<Y>&z=<Z>" (box (X, Y) centred, Z CSS
// pixels per box) or "#n=<index>" (box N at a readable zoom); Format writes
// the first form; ParseJump reads what the player typed at the jump prompt
// ("123456" or "456,123").
//
// Pure functions, safe for concurrent use.
package deeplink
