# The report page's parts (html_report.hpp), embedded into heapy_core at build time.
# The chart layout is d3-hierarchy from Debian's node-d3-hierarchy package (scripts/setup-deps
# installs it): its browser (UMD) build and its licence. Nothing is downloaded.
set(HEAPY_D3_HIERARCHY_DIR "/usr/share/nodejs/d3-hierarchy" CACHE PATH
    "Where d3-hierarchy 1.x is installed (Debian: node-d3-hierarchy)")
set(HEAPY_D3_HIERARCHY_LICENCE "/usr/share/doc/node-d3-hierarchy/copyright" CACHE FILEPATH
    "d3-hierarchy's licence, embedded in the report beside it")
set(d3_js "${HEAPY_D3_HIERARCHY_DIR}/dist/d3-hierarchy.min.js")
foreach(file IN ITEMS "${d3_js}" "${HEAPY_D3_HIERARCHY_LICENCE}")
  if(NOT EXISTS "${file}")
    message(FATAL_ERROR "${file} is missing: install Debian's node-d3-hierarchy (scripts/setup-deps)")
  endif()
endforeach()
file(STRINGS "${d3_js}" d3_banner LIMIT_COUNT 1)
if(NOT d3_banner MATCHES "d3-hierarchy/ v1\\.")
  message(FATAL_ERROR "${d3_js} is not d3-hierarchy 1.x ('${d3_banner}')")
endif()

set(html_dir "${CMAKE_CURRENT_SOURCE_DIR}/report/html")
set(assets_cpp "${CMAKE_CURRENT_BINARY_DIR}/html_assets.cpp")
set(asset_files "${html_dir}/report.html" "${html_dir}/report.css" "${html_dir}/report.js"
                "${d3_js}" "${HEAPY_D3_HIERARCHY_LICENCE}")
add_custom_command(
  OUTPUT "${assets_cpp}"
  COMMAND "${CMAKE_COMMAND}" "-DOUTPUT=${assets_cpp}" "-DFILES=${asset_files}"
          -P "${html_dir}/embed.cmake"
  DEPENDS ${asset_files} "${html_dir}/embed.cmake"
  COMMENT "Embedding the report page's template, script and d3-hierarchy"
  VERBATIM)
target_sources(heapy_core PRIVATE "${assets_cpp}")
