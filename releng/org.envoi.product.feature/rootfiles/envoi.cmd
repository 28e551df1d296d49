@echo off
rem Envoi start script (Windows). Maven Central carries no native Eclipse launcher, so Envoi starts the
rem Equinox launcher jar with Java 21+: ENVOI_JAVA_HOME, JAVA_HOME, a jre\ folder beside this script, or java on the PATH.
rem   ENVOI_DATA    where Envoi keeps its data (default: %USERPROFILE%\.envoi)
rem   ENVOI_VMARGS  extra JVM options
rem envoi [--data DIR] COMMAND ... runs a command of the command line (envoi --help lists them); without one the
rem desktop starts.
setlocal
set "HERE=%~dp0"
set "JAVA=java"
if exist "%HERE%jre\bin\java.exe" set "JAVA=%HERE%jre\bin\java.exe"
if defined JAVA_HOME set "JAVA=%JAVA_HOME%\bin\java.exe"
if defined ENVOI_JAVA_HOME set "JAVA=%ENVOI_JAVA_HOME%\bin\java.exe"
set "LAUNCHER="
for %%f in ("%HERE%plugins\org.eclipse.equinox.launcher_*.jar") do set "LAUNCHER=%%~f"
if not defined LAUNCHER (
  echo Envoi is incomplete: no plugins\org.eclipse.equinox.launcher_*.jar under %HERE%; reinstall it. 1>&2
  exit /b 1
)
if not defined ENVOI_DATA set "ENVOI_DATA=%USERPROFILE%\.envoi"
if "%~1"=="--data" (
  if "%~2"=="" (
    echo USAGE: --data needs a folder ^(envoi --help lists the commands^) 1>&2
    exit /b 2
  )
  set "ENVOI_DATA=%~2"
  shift
  shift
)
if not exist "%ENVOI_DATA%" mkdir "%ENVOI_DATA%"
set "FIRST=%~1"
set "ARGS="
:collect
if "%~1"=="" goto run
set ARGS=%ARGS% %1
shift
goto collect
:run
rem a first word that is not an option is a command (envoi --help lists them); nothing, or options: the desktop
set "MODE=cli"
if "%FIRST%"=="" set "MODE=desktop"
if defined FIRST if "%FIRST:~0,1%"=="-" set "MODE=desktop"
if "%FIRST%"=="--help" set "MODE=cli"
if "%FIRST%"=="-h" set "MODE=cli"
if "%MODE%"=="cli" (
  "%JAVA%" -Dosgi.requiredJavaVersion=21 -Djava.awt.headless=true "-Denvoi.data=%ENVOI_DATA%" "-Djava.util.logging.config.file=%HERE%cli-logging.properties" -Denvoi.outbox.sender=on-demand %ENVOI_VMARGS% -jar "%LAUNCHER%" -nosplash -data "%ENVOI_DATA%\workspace" -application org.envoi.cli.app %ARGS%
) else (
  "%JAVA%" -Dosgi.requiredJavaVersion=21 "-Denvoi.data=%ENVOI_DATA%" %ENVOI_VMARGS% -jar "%LAUNCHER%" -data "%ENVOI_DATA%\workspace" %ARGS%
)
exit /b %ERRORLEVEL%
