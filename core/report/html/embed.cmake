# cmake -DOUTPUT=html_assets.cpp -DFILES="page;style;script;library;licence" -P embed.cmake
# Writes heapy::report::html_assets() with each file's text as a raw string literal.
set(delimiter "heapy_asset")
set(names page style script library library_licence)
set(out "// Made by core/report/html/embed.cmake: do not edit.\n#include \"core/report/html_report.hpp\"\n\nnamespace heapy::report {\n\nnamespace {\n")
foreach(file IN LISTS FILES)
  list(POP_FRONT names name)
  file(READ "${file}" text)
  string(FIND "${text}" ")${delimiter}\"" clash)
  if(NOT clash EQUAL -1)
    message(FATAL_ERROR "${file} holds ')${delimiter}\"', which ends a raw string")
  endif()

  string(APPEND out "constexpr std::string_view k_${name} = R\"${delimiter}(${text})${delimiter}\";\n")
endforeach()
string(APPEND out "\n} // namespace\n\nconst HtmlAssets& html_assets() {\n    static const HtmlAssets assets{k_page, k_style, k_script, k_library, k_library_licence};\n    return assets;\n}\n\n} // namespace heapy::report\n")
file(WRITE "${OUTPUT}.tmp" "${out}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
