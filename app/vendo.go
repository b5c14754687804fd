// Package app holds Vendo's domain: the types every other package speaks
// (products, plans, money, settings, …) and the error type that carries a
// code for the status and a sentence for the person who sees it. Each type
// has its file: errors.go, product.go, plan.go, settings.go, money.go,
// cart.go, order.go, subscription.go, customer.go, session.go,
// logintoken.go, mail.go and audit.go.
package app

// Version is set at build time with -ldflags "-X vendo/app.Version=…".
var Version = "dev"
