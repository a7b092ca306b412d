// Package sample generates the synthetic 4D-STEM dataset that `stemflow sample`
// writes, so that the README's commands work on a fresh machine and give pictures a
// person can recognise.
//
// The scene: a scan over a thin film holding a few round particles. Every frame
// shows the bright central diffraction disk on a faint background. Inside a
// particle the disk is dimmer (the particle scatters electrons out of it, into a
// faint halo), and the disk is deflected by the gradient of the particle's
// projected potential, so a sum image shows the disk, a disk virtual detector shows
// a bright-field image with dark particles, and the centre of mass shows a field
// pointing away from each particle centre. Noise is deterministic (a fixed seed),
// so the file is identical on every machine.
//
// It owns only the scene and the generator and imports only the standard library.
package sample
