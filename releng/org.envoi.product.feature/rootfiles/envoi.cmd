@echo off
rem Envoi start script (Windows). Maven Central carries no native Eclipse launcher, so Envoi starts with a Java
rem runtime: ENVOI_JAVA_HOME, JAVA_HOME, a jre\ folder beside this script, or java on the PATH.
rem   ENVOI_DATA    where Envoi keeps its data (default: %USERPROFILE%\.envoi)
rem   ENVOI_VMARGS  extra JVM options
rem envoi [--data DIR] COMMAND ... runs a command of the command line (envoi --help lists them); without one the
rem desktop starts.
rem This script reads no argument: cmd splits %%1 at = , ; and runs what follows an unquoted &. The command line goes
rem whole (%%*) to envoi-launcher.jar, which does what the envoi shell script does: it finds a Java 21+ if this one is
rem older, chooses the data folder and the application, and gives every argument to Envoi as java.exe read it.
rem Quote an argument with spaces or & | < > ^ ( ) in it: "a&b".
setlocal DisableDelayedExpansion
set "JAVA=java"
if exist "%~dp0jre\bin\java.exe" set "JAVA=%~dp0jre\bin\java.exe"
if defined JAVA_HOME if exist "%JAVA_HOME%\bin\java.exe" set "JAVA=%JAVA_HOME%\bin\java.exe"
if defined ENVOI_JAVA_HOME if exist "%ENVOI_JAVA_HOME%\bin\java.exe" set "JAVA=%ENVOI_JAVA_HOME%\bin\java.exe"
if not "%JAVA%"=="java" goto run
for %%j in (java.exe) do set "JAVA=%%~$PATH:j"
if not defined JAVA goto nojava
:run
"%JAVA%" -cp "%~dp0envoi-launcher.jar" org.envoi.launcher.Main %*
exit /b %ERRORLEVEL%
:nojava
echo Envoi needs Java 21 or newer and found none: install a Java 21+ runtime, or set ENVOI_JAVA_HOME to one. 1>&2
exit /b 1
