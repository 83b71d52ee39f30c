// Package docs holds no code: it is the project's documentation (the
// Markdown files beside this one). Its tests keep the documentation true:
// every command in a block marked runnable in README.md and docs/*.md is
// executed, and every esbench flag any documented command names must exist.
// See docs/contributing.md for the marker convention.
package docs
