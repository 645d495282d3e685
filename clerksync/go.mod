module github.com/seed77920f6a/clerkwebhook/clerksync

go 1.26.0

require (
	github.com/clerk/clerk-sdk-go/v2 v2.7.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/go-jose/go-jose/v3 v3.0.4 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/crypto v0.43.0 // indirect
)
