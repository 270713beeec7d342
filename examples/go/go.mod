module wecomexample

go 1.19
