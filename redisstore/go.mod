module github.com/seed77920f6a/clerkwebhook/redisstore

go 1.26.0

replace github.com/seed77920f6a/clerkwebhook => ../
