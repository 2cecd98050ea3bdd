# Warnings as errors for uvws's own targets only (never for llhttp or system headers).
function(uvws_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion -Werror)
endfunction()

# A layer library: every .cpp under src/, headers under include/.
function(uvws_layer target dir)
  file(GLOB_RECURSE srcs CONFIGURE_DEPENDS ${dir}/src/*.cpp)
  add_library(${target} STATIC ${srcs})
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${dir}/include> $<INSTALL_INTERFACE:include>)
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  uvws_warnings(${target})
endfunction()
