# Embeds one OpenCL source file as a C byte array (run with cmake -P).
# In: IN (.cl path), OUT (.c path), SYM (C identifier), NAME (file name for #line).
# Writes `const char SYM[]` (NUL-terminated, starting with a #line directive so
# driver build logs report the .cl file's own line numbers) and `SYM_len`.
file(READ "${IN}" hex HEX)
string(HEX "#line 1 \"${NAME}\"\n" prefix)
set(hex "${prefix}${hex}")
string(LENGTH "${hex}" nhex)
math(EXPR nbytes "${nhex} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n" body "${body}")
file(WRITE "${OUT}.tmp"
  "/* Generated from ${NAME} by cl/embed.cmake. Do not edit. */\n"
  "#include <stddef.h>\n#include \"backend/cl_sources.h\"\n"
  "const char ${SYM}[] = {\n${body}0x00};\n"
  "const size_t ${SYM}_len = ${nbytes};\n")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
file(REMOVE "${OUT}.tmp")
