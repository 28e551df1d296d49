@echo off
rem Envoi start script (Windows). Maven Central carries no native Eclipse launcher, so Envoi starts the
rem Equinox launcher jar with Java 21+: ENVOI_JAVA_HOME, JAVA_HOME, a jre\ folder beside this script, or java on the PATH.
rem   ENVOI_DATA    where Envoi keeps its data (default: %USERPROFILE%\.envoi)
rem   ENVOI_VMARGS  extra JVM options
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
if not exist "%ENVOI_DATA%" mkdir "%ENVOI_DATA%"
"%JAVA%" -Dosgi.requiredJavaVersion=21 %ENVOI_VMARGS% -jar "%LAUNCHER%" -data "%ENVOI_DATA%\workspace" %*
exit /b %ERRORLEVEL%
