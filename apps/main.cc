#include "cli/cli.h"

int main(int argc, char** argv) { return recall::cli::Run(argc, argv); }
