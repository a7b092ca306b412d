// Package render turns result arrays into pictures: PNG images of 2-D arrays in a
// perceptual colour map (viridis) with a colour bar and min/max labels, optional log
// scaling, NaN shown in a colour the map never produces, and colour-wheel images of
// 2-vector fields (hue = direction, brightness = magnitude).
//
// It owns the colour maps, the small built-in bitmap font used for labels, the PNG
// encoder of its opaque pictures (its own deflate stream, rendered row by row without
// a whole picture in memory: EncodeHeatmap, EncodeField) and the atomic PNG writer. It knows nothing of datasets or UDFs: callers hand it plain
// float64 slices in row-major order. It imports only the standard library.
package render
