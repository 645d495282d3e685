module github.com/seed77920f6a/clerkwebhook/pgstore

go 1.25.0

replace github.com/seed77920f6a/clerkwebhook => ../
