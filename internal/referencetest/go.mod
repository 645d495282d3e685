module github.com/seed77920f6a/clerkwebhook/internal/referencetest

go 1.26.0

require (
	github.com/seed77920f6a/clerkwebhook v0.1.0
	github.com/standard-webhooks/standard-webhooks/libraries v1.3.0
	github.com/stretchr/testify v1.12.1
	github.com/svix/svix-webhooks v1.99.1
)

require (
	github.com/google/uuid v1.6.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
