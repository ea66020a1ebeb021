// Package depcheck holds only a test: it enforces the dependency
// directions of the module's layout (see the design notes), so that
// layering cannot rot quietly.
package depcheck
