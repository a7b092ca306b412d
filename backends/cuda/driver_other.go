//go:build !(linux && (amd64 || arm64)) || nocuda

package cuda

import "fmt"

func openDriver() (*driverAPI, error) {
	return nil, fmt.Errorf("%w: this build has no CUDA backend (linux/amd64 and linux/arm64 only, not with the nocuda tag)", ErrUnavailable)
}

func openNVRTC() (*nvrtcAPI, error) {
	return nil, fmt.Errorf("%w: no CUDA backend in this build", ErrUnavailable)
}

func openCuBLAS() (*cublasAPI, error) {
	return nil, fmt.Errorf("%w: no CUDA backend in this build", ErrUnavailable)
}
