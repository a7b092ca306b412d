// Command stemflow runs stemflow's built-in UDFs over detector data files without any
// Go code: a microscopist's front end to the engine.
//
//	stemflow run    [flags] FILE   run built-in UDFs in one pass, write .npy results and PNG pictures
//	stemflow info   [flags] FILE   show shape, dtype, image count, partitions and tiling
//	stemflow graph  [flags] FILE   write the compiled graph of a run as Graphviz DOT
//	stemflow sample [flags] DIR    write DIR/sample.npy, a small synthetic 4D-STEM dataset
//	stemflow version               print the version
//
// Flags may come before or after FILE. `stemflow help COMMAND` lists a command's
// flags; the README has the full reference. Exit status: 0 done, 1 run error or
// internal error (the message names the cause), 2 usage error (one line, and a pointer
// to the help), 130 interrupted (SIGINT or SIGTERM).
//
// The package owns the command line only: flag and --udf spec parsing (spec.go,
// flags.go), opening inputs and loading ROI and mask files (data.go), building the
// built-in UDFs of each spec (udfs.go), running them (run.go), writing results and
// pictures concurrently (writer.go, pictures.go) into a locked output folder through a
// staging folder committed all-or-nothing, spec folder by spec folder, with a manifest
// (outputs.go, manifest.go), the progress bar (progress.go), info, graph, sample and
// version. To add a subcommand, add an entry to the table in main.go. Pictures come from internal/render, the sample from internal/sample; the
// engine is package udf.
package main
