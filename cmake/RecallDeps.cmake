# Every dependency is a Debian package installed by scripts/install-deps.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(GTest REQUIRED)
find_package(benchmark REQUIRED)
find_package(nlohmann_json 3 REQUIRED)
find_package(CLI11 REQUIRED)
find_package(fmt REQUIRED)
pkg_check_modules(HYPERSCAN REQUIRED IMPORTED_TARGET libhs)
# users/: argon2id password hashes and RFC 6238 TOTP.
pkg_check_modules(ARGON2 REQUIRED IMPORTED_TARGET libargon2)
pkg_check_modules(OATH REQUIRED IMPORTED_TARGET liboath)
# server/: cpp-httplib (compiled library + header; only src/server/http.cc includes it).
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)

# libphonenumber ships no CMake config on Debian 12; its headers need protobuf's.
find_library(PHONENUMBER_LIB phonenumber REQUIRED)
find_package(Protobuf REQUIRED)
add_library(recall_dep_phonenumber INTERFACE)
target_link_libraries(recall_dep_phonenumber INTERFACE ${PHONENUMBER_LIB} protobuf::libprotobuf)

# lifecycle/: deletion certificates rendered as PDF (libhpdf ships no pkg-config file).
find_library(HPDF_LIB hpdf REQUIRED)
add_library(recall_dep_hpdf INTERFACE)
target_link_libraries(recall_dep_hpdf INTERFACE ${HPDF_LIB})

find_library(CSV_LIB csv REQUIRED)
add_library(recall_dep_csv INTERFACE)
target_link_libraries(recall_dep_csv INTERFACE ${CSV_LIB})

# Howard Hinnant's date/tz, using the system tzdata (USE_OS_TZDB).
find_library(DATE_TZ_LIB date-tz REQUIRED)
add_library(recall_dep_date INTERFACE)
target_link_libraries(recall_dep_date INTERFACE ${DATE_TZ_LIB})
target_compile_definitions(recall_dep_date INTERFACE USE_OS_TZDB=1)
