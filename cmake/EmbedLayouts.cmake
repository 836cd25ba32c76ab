# Writes a C++ source holding each layout file as a (name, text) pair.
set(body "#include <string_view>\n#include <utility>\nnamespace heapy::cpython {\nextern const std::pair<std::string_view, std::string_view> kEmbeddedLayouts[];\nextern const unsigned kEmbeddedLayoutCount;\nconst std::pair<std::string_view, std::string_view> kEmbeddedLayouts[] = {\n")
set(count 0)
string(REPLACE "|" ";" INPUTS "${INPUTS}")
foreach(input ${INPUTS})
  # "3.11" for 3.11.json, "c-types/_io" for c-types/_io.json.
  file(RELATIVE_PATH name ${BASE} ${input})
  string(REGEX REPLACE "\\.json$" "" name ${name})
  file(READ ${input} text)
  string(APPEND body "  {\"${name}\", R\"heapy_layout(${text})heapy_layout\"},\n")
  math(EXPR count "${count} + 1")
endforeach()
string(APPEND body "};\nconst unsigned kEmbeddedLayoutCount = ${count};\n}\n")
file(WRITE ${OUTPUT} "${body}")
