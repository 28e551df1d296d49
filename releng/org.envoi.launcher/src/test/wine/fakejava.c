/* stands in for java.exe under Wine (check-envoi-cmd.sh): writes the command line it was given and its argv
   (CommandLineToArgvW) in UTF-8 to %FAKEJAVA_OUT%, and exits with 7 */
#include <windows.h>
#include <shellapi.h>
#include <stdio.h>
static void put(FILE *f, const wchar_t *s) {
    char buf[8192];
    int n = WideCharToMultiByte(CP_UTF8, 0, s, -1, buf, sizeof buf, NULL, NULL);
    fputs(n > 0 ? buf : "?", f);
}
int wmain(void) {
    const wchar_t *line = GetCommandLineW();
    int argc; wchar_t **argv = CommandLineToArgvW(line, &argc);
    wchar_t out[1024];
    if (!GetEnvironmentVariableW(L"FAKEJAVA_OUT", out, 1024)) return 99;
    FILE *f = _wfopen(out, L"wb");
    fputs("LINE ", f); put(f, line); fputs("\n", f);
    for (int i = 0; i < argc; i++) { fprintf(f, "ARG[%d] <", i); put(f, argv[i]); fputs(">\n", f); }
    fclose(f);
    return 7;
}
