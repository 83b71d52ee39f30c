// Package docs holds no code: it is the project's documentation (the
// Markdown files beside this one). Its tests keep the documentation true:
// every command in a block marked runnable in README.md and docs/*.md is
// executed; every esbench command and flag a document names must exist;
// README's command table lists every command; relative links and anchors
// resolve; design.md sections cited in code exist; the licence files stay.
// See docs/contributing.md for the marker convention.
package docs
