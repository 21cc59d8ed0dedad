module example.com/bucket

go 1.19
