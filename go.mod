module github.com/pledgeseal/pledgeseal

go 1.26.8

require (
	github.com/emmansun/gmsm v0.44.0
	github.com/redis/go-redis/v9 v9.23.0
	golang.org/x/crypto v0.57.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
)
