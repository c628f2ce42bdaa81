# Finds cuDNN beside the CUDA toolkit (it ships no CMake config) and defines the imported
# target distill_cudnn. Sets DISTILL_CUDNN_FOUND, DISTILL_CUDNN_LIBRARY, DISTILL_CUDNN_INCLUDE_DIR.
set(_distill_cuda_roots ${CUDAToolkit_LIBRARY_ROOT} ${CUDAToolkit_TARGET_DIR} /usr/local/cuda)
find_path(DISTILL_CUDNN_INCLUDE_DIR cudnn.h
          HINTS ${CUDAToolkit_INCLUDE_DIRS} PATHS ${_distill_cuda_roots} PATH_SUFFIXES include)
find_library(DISTILL_CUDNN_LIBRARY cudnn
             HINTS ${CUDAToolkit_LIBRARY_DIR} PATHS ${_distill_cuda_roots} PATH_SUFFIXES lib64 lib)
set(DISTILL_CUDNN_FOUND OFF)
if(DISTILL_CUDNN_INCLUDE_DIR AND DISTILL_CUDNN_LIBRARY)
  set(DISTILL_CUDNN_FOUND ON)
  if(NOT TARGET distill_cudnn)
    add_library(distill_cudnn UNKNOWN IMPORTED)
    set_target_properties(distill_cudnn PROPERTIES IMPORTED_LOCATION ${DISTILL_CUDNN_LIBRARY}
                          INTERFACE_INCLUDE_DIRECTORIES ${DISTILL_CUDNN_INCLUDE_DIR})
  endif()
endif()
