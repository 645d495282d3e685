module github.com/seed77920f6a/clerkwebhook/clerkotel

go 1.26.0

replace github.com/seed77920f6a/clerkwebhook => ../

require (
	github.com/seed77920f6a/clerkwebhook v0.0.0-00010101000000-000000000000
	github.com/stretchr/testify v1.12.1
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
