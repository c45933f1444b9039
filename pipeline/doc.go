// Package pipeline loads experiment files, checks them, turns them into a
// graph of stages with content-derived keys, and runs that graph against a
// cache.
//
// An experiment is a YAML file naming stages (`uses: dataset/idx`), how they
// connect (`inputs`), and their parameters (`with`), with `${param}`
// references to the experiment's own `params`. Loading keeps every value's
// line and column so that every problem in a file is reported at once, as
// `file:line:col: path: message`.
//
// The package knows nothing of machine learning: stage kinds are registered
// by other packages (see Register) and are opaque here beyond their parameter
// schema, their input slots and their Run method. Nor does it know how the
// cache stores bytes: that is package cache.
package pipeline
