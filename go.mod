module github.com/stemflow/stemflow

go 1.26
